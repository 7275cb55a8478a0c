-- v6: usage summed per quarter hour, provider and model: what reports by day,
-- month, model and provider read instead of every response (store/quarters.py).
-- Derived, never edited: the first report after the usage changed rebuilds it.
-- Writers of `usage` move `usage_version`; the table is current while
-- `usage_quarters_version` equals it.
CREATE TABLE usage_quarters (
    quarter               INTEGER NOT NULL,  -- unix time // 900
    provider              TEXT NOT NULL,
    model                 TEXT NOT NULL,
    input_tokens          INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    cost_usd              REAL NOT NULL,
    PRIMARY KEY (quarter, provider, model)
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('usage_version', 1), ('usage_quarters_version', 0);
