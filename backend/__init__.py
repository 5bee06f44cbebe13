# SPDX-License-Identifier: EUPL-1.2
"""The municipal backend: API, services, relayer (transaction manager) and custodial keystore."""
