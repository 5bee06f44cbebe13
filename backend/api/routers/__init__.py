# SPDX-License-Identifier: EUPL-1.2
"""One module per resource; each exposes `router` (see backend.api.app.ROUTERS)."""
