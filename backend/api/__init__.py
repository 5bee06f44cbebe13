# SPDX-License-Identifier: EUPL-1.2
"""The HTTP edge: routes translate HTTP to service calls and back; nothing else lives here."""
