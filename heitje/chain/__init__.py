# SPDX-License-Identifier: EUPL-1.2
"""Chain access: the one place that talks JSON-RPC (anvil in development, Besu in production)."""
