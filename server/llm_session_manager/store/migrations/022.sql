-- v22: templates. `create-from-template` plans the sessions a template names before
-- they exist (their logs appear only once the assistant runs); a scan that finds a new
-- session of the planned assistant, started in the planned directory after the plan was
-- made, lets it adopt the plan: the session gets the template's tags (docs/templates.md).
CREATE TABLE IF NOT EXISTS template_plans (
    id         INTEGER PRIMARY KEY,
    template   TEXT NOT NULL,
    position   INTEGER NOT NULL,  -- the session's place in the template, from 0
    provider   TEXT NOT NULL,
    role       TEXT,
    model      TEXT,
    command    TEXT NOT NULL,
    cwd        TEXT NOT NULL,     -- absolute, symbolic links resolved
    tags       TEXT NOT NULL,     -- JSON array: the template's name, then its tags
    created_at REAL NOT NULL,
    session_id TEXT               -- the session that adopted the plan; NULL while open
);
CREATE INDEX IF NOT EXISTS template_plans_open ON template_plans (created_at) WHERE session_id IS NULL;

-- and recommendations v2: each session's summary (its title and first prompts) as a
-- vector of the bundled static model, kept so `recommend` compares sessions without
-- loading the model again; `text_hash` (a checksum) says which summary it is of.
CREATE TABLE IF NOT EXISTS session_vectors (
    session_id TEXT PRIMARY KEY,
    text_hash  TEXT NOT NULL,
    model      TEXT NOT NULL,
    vector     BLOB NOT NULL  -- float32, unit length
) WITHOUT ROWID;
