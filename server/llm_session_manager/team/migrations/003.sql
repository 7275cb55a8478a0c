-- v3: what the team shares beyond usage (docs/team.md): conversation pushed by
-- projects that opted in (`messages`, `file_refs`, per device, keyed by the
-- store's own key of the line), handoffs of a session from one user to another
-- (a handoff is the receiver's permission to read that session), and the team's
-- memory pool (`memories`, scoped personal, project or team). A memory's vector
-- is kept as float4[] always (exact cosine in the server process where pgvector
-- is missing) and, where pgvector can be installed, mirrored in a `vector`
-- column pgvector searches.

CREATE TABLE IF NOT EXISTS messages (
    device_id  bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key        text NOT NULL,
    session_id text NOT NULL,
    ts         double precision NOT NULL,
    role       text NOT NULL,
    kind       text NOT NULL,
    text       text NOT NULL,
    PRIMARY KEY (device_id, key)
);
CREATE INDEX IF NOT EXISTS messages_session ON messages (session_id, ts);

CREATE TABLE IF NOT EXISTS file_refs (
    device_id  bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key        text NOT NULL,
    session_id text NOT NULL,
    ts         double precision NOT NULL,
    path       text NOT NULL,
    action     text NOT NULL,
    PRIMARY KEY (device_id, key)
);
CREATE INDEX IF NOT EXISTS file_refs_session ON file_refs (session_id);

CREATE TABLE IF NOT EXISTS handoffs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id text NOT NULL,
    sender     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note       text,
    created_at timestamptz NOT NULL DEFAULT now(),
    taken_at   timestamptz
);
CREATE INDEX IF NOT EXISTS handoffs_session ON handoffs (session_id);
CREATE INDEX IF NOT EXISTS handoffs_receiver ON handoffs (receiver, session_id);

CREATE TABLE IF NOT EXISTS memories (
    device_id  bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    id         text NOT NULL,
    scope      text NOT NULL CHECK (scope IN ('personal', 'project', 'team')),
    text       text NOT NULL,
    project    text,
    session_id text,
    tags       text[] NOT NULL DEFAULT '{}',
    created_at double precision NOT NULL,
    embedder   text NOT NULL,
    embedding  float4[] NOT NULL,
    PRIMARY KEY (device_id, id)
);
CREATE INDEX IF NOT EXISTS memories_session ON memories (session_id);

-- pgvector where the server has it; a server without it keeps the float4[] column only.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS vector;
    EXECUTE 'ALTER TABLE memories ADD COLUMN IF NOT EXISTS embedding_vec vector '
            'GENERATED ALWAYS AS (embedding::vector) STORED';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pgvector is not available (%): team memories are searched by exact cosine in the server', SQLERRM;
END
$$;
