-- v35: each memory's word pieces in the bundled static model, stored when it is written,
-- so recall's reranker (services/memory/rerank.py) reads them instead of tokenizing its
-- candidates' texts at every recall (most of the rerank's cost at 100k memories).
-- `pieces` is little-endian uint16 vocabulary ids (services/memory/pieces.py); memories
-- stored before this version have no row and are tokenized at recall, as before.
CREATE TABLE IF NOT EXISTS memory_pieces (
    rid INTEGER PRIMARY KEY,
    pieces BLOB NOT NULL
);
