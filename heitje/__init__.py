# SPDX-License-Identifier: EUPL-1.2
"""Heitje core: settings, the contract toolchain and chain access shared by backend and indexer."""

__version__ = "0.1.0"
