# SPDX-License-Identifier: EUPL-1.2
"""The indexer: HeitjeToken's events mirrored into SQL, with projections, reorg handling and reconcile.

Pipeline: fetch (paged eth_getLogs + block headers) → decode (eth_abi) → project (in-memory working set)
→ write (one DB transaction per page: raw events, blocks, projections, cursor, page hooks).
"""
