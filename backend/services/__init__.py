# SPDX-License-Identifier: EUPL-1.2
"""Business rules: one unit of work (one DB transaction) per command; no HTTP here."""
