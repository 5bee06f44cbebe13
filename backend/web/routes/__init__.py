# SPDX-License-Identifier: EUPL-1.2
"""Page routes: thin translations between forms and the backend services."""
