"""A seeded conversational-memory evaluation: long multi-session developer chats.

Each conversation is one project's chat with an assistant over several sessions
(days). Every turn is stored as a memory. A few turns state a fact (a setting, the
cause of a bug, a decision, where something lives, how to do something); each
question asks for one such fact and is answered by exactly that turn. The rest is
what such chats are full of: chatter that names the same components ("running the
test suite again", "can you look at the DB pool next?").

* **Paraphrased questions** use other words for the same things than the fact turn
  did ("DB pool" for "database connection pool", "how many times it retries" for
  "retry count"); lexical ones reuse the fact's words.
* **Distractors** (``distractors=True``) are extra turns that share the question's
  and the fact's words but not the answer: the same component with another setting,
  the same setting of another component, the symptom seen elsewhere, and turns in
  the question's own (paraphrased) words that say nothing about it.

Conversations alternate between two splits: ``tune`` (even) to choose weights on,
``test`` (odd) to report. Nothing here is random but for ``random.Random(seed)``, so
a seed gives the same data on every machine; ship this file, not the data.
Stdlib only, so a test can load it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Concepts: the first form is how a fact turn usually says it; the others are
# paraphrases a question may use instead.
COMPONENTS = [
    ["database connection pool", "DB pool", "pool of Postgres connections"],
    ["login endpoint", "sign-in route", "authentication handler"],
    ["background job queue", "task worker backlog", "async worker queue"],
    ["image thumbnail service", "picture resizer", "thumbnailer"],
    ["payment webhook", "billing callback", "Stripe event hook"],
    ["search indexer", "full-text indexing job", "indexing pipeline"],
    ["nightly backup", "overnight snapshot job", "scheduled database dump"],
    ["rate limiter", "request throttling", "throttle middleware"],
    ["session cookie", "auth cookie", "login token cookie"],
    ["CSV export", "spreadsheet download", "comma-separated report export"],
    ["email sender", "mailer", "outgoing mail service"],
    ["cache layer", "Redis cache", "memoization store"],
    ["deploy pipeline", "release workflow", "CI job that ships to production"],
    ["feature flag client", "toggle service", "flags SDK"],
    ["websocket server", "realtime socket gateway", "live push connection"],
    ["config loader", "settings parser", "configuration reader"],
    ["API client", "HTTP wrapper", "backend SDK"],
    ["log shipper", "logging agent", "log forwarder"],
    ["PDF generator", "invoice renderer", "document printing service"],
    ["user profile page", "account settings screen", "profile view"],
    ["audit trail", "activity history", "change log table"],
    ["file upload handler", "attachment uploader", "upload endpoint"],
    ["notification service", "push alerts", "notifier"],
    ["GraphQL gateway", "GraphQL server", "query API"],
]

SETTINGS = [  # (forms, values)
    (["timeout", "time limit", "deadline"], ["5 seconds", "30 seconds", "90 seconds", "2 minutes", "250 ms", "10 s"]),
    (["maximum size", "size cap", "upper bound on size"], ["10 MB", "512 KB", "2 GB", "50 MB", "64 MB"]),
    (["retry count", "number of attempts", "how many times it retries"], ["3", "5", "7", "zero", "12"]),
    (["batch size", "chunk size", "records per batch"], ["500", "1000", "64", "2500", "200"]),
    (["TTL", "expiry", "lifetime of an entry"], ["15 minutes", "1 hour", "24 hours", "7 days", "90 seconds"]),
    (["worker count", "concurrency", "number of parallel workers"], ["4", "8", "16", "2", "32"]),
    (["log level", "verbosity", "how much it logs"], ["debug", "warning", "info", "error"]),
]

SYMPTOMS = [
    ["crash", "fatal error", "process dying"],
    ["memory leak", "growing RAM usage", "memory that keeps climbing"],
    ["slow responses", "high latency", "requests taking forever"],
    ["duplicate rows", "double inserts", "the same record written twice"],
    ["deadlock", "threads blocking each other", "lock contention freeze"],
    ["flaky failures", "intermittent test failures", "tests failing at random"],
    ["500 errors", "internal server errors", "HTTP 5xx responses"],
    ["stale data", "outdated results", "old values showing up"],
]

CAUSES = [
    "an unclosed cursor in the retry path", "a missing index on created_at", "the clock skew between two hosts",
    "a race between two workers claiming the same row", "a regex that backtracks on long inputs",
    "the ORM loading every relation eagerly", "a global dict that was never cleared",
    "the locale-dependent date parsing", "an integer overflow in the counter", "DNS lookups on every request",
    "a lock taken in the wrong order", "a cache key that ignored the tenant id", "the default pool of one thread",
    "a timezone-naive timestamp", "an unbounded list built from the whole table", "a retry loop without backoff",
    "the JSON encoder falling back to repr", "a file handle opened per request", "a missing await on the commit",
    "a config value read once at import time",
]

CHOICES = [  # (what kind of thing, options, paraphrases of the kind)
    (["library", "package", "dependency"], ["httpx", "pydantic", "structlog", "tenacity", "orjson", "arrow", "celery",
                                            "dramatiq", "boto3", "jinja2", "sqlalchemy", "alembic"]),
    (["database", "datastore", "storage engine"], ["PostgreSQL", "SQLite", "DynamoDB", "MongoDB", "Redis",
                                                  "ClickHouse"]),
    (["queue", "message broker", "job backend"], ["RabbitMQ", "SQS", "Kafka", "NATS", "Redis streams"]),
    (["framework", "web stack", "server framework"], ["FastAPI", "Django", "Flask", "Starlette", "Express"]),
]
REASONS = [
    "it handles timeouts better", "the team already knows it", "it is faster in our benchmark",
    "its license is permissive", "it needs no extra service to run", "it has type hints throughout",
    "it was the only one with async support", "its memory use was half of the others",
]

ACTIONS = [  # (forms, commands)
    ["rebuild the frontend assets", "recompile the UI bundle", "regenerate the static files"],
    ["reset the local database", "wipe the dev DB", "start the development database fresh"],
    ["run the integration tests", "execute the end-to-end checks", "launch the e2e suite"],
    ["rotate the signing keys", "replace the JWT secrets", "roll new token keys"],
    ["seed demo data", "load sample records", "fill the database with fixtures"],
    ["profile a slow request", "find where a request spends its time", "trace a sluggish call"],
    ["update the lock file", "refresh pinned dependencies", "re-pin the packages"],
    ["tail the production logs", "watch live server output", "follow prod logging"],
    ["clear the build cache", "throw away cached compilation output", "purge stale build artifacts"],
    ["open a shell in the container", "get a terminal inside the docker image", "exec into the running pod"],
]
COMMANDS = [
    "make assets", "./scripts/reset_db.sh", "pytest -m integration", "make rotate-keys", "python manage.py seed",
    "py-spy record -o profile.svg", "uv lock --upgrade", "kubectl logs -f deploy/api", "rm -rf .cache/build",
    "docker compose exec app bash", "npm run build:prod", "just e2e", "tox -e integration", "./bin/dev shell",
]

DIRS = ["src", "app", "lib", "internal", "pkg", "server"]
MODULES = ["pool", "auth", "jobs", "thumbs", "billing", "search", "backup", "limits", "cookies", "export", "mail",
           "cache", "deploy", "flags", "realtime", "config", "client", "logging", "pdf", "profile", "audit", "upload",
           "notify", "graphql"]

CHATTER = [
    "Thanks, that worked.", "Looks good to me, let's move on.", "Can you run the tests again?",
    "I pushed the branch, CI is green.", "Let me check the diff first.", "Okay, what's next on the list?",
    "Hmm, that didn't change anything.", "Let's leave that for tomorrow.", "I restarted the dev server.",
    "Good catch, I missed that.", "Can you explain that last change?", "Merged. Closing the ticket.",
]
MENTIONS = [  # chatter naming a component: shares words with questions, answers none
    "Can you look at the {c} next?", "I touched the {c} a bit while refactoring.",
    "The {c} tests pass locally now.", "Let's add a docstring to the {c}.", "Is the {c} covered by the smoke test?",
    "I renamed a variable in the {c}.", "The {c} code could use some cleanup later.",
    "Reviewing the {c} pull request now.", "We should document the {c} in the README.",
]
FILLER = [  # sentences long assistant turns are made of, around what they say
    "I updated {m}/{f}.py and reran the linter.", "The diff touches {n} files, mostly renames.",
    "mypy complains about an Optional in {m}/{f}.py, fixed with a guard.", "I'll add a regression test next.",
    "All {n} tests pass now.", "The warning about a deprecated import is gone.",
    "I kept the public API as it was so nothing else changes.", "Coverage went up by {n} percent.",
    "The old helper in {m}/utils.py is unused now, so I removed it.", "Let me know if you want it split into two commits.",
    "I also fixed a typo in the error message.", "The benchmark shows no change within noise.",
    "There was a stray print statement in {m}/{f}.py.", "The type annotations now match the docstring.",
    "I added a changelog entry.", "The fixture in tests/conftest.py needed a new parameter.",
    "Formatting was off in {n} places; ruff fixed it.", "That matches what the logs showed yesterday.",
    "I checked the staging environment and it behaves the same.", "The pull request description is updated.",
    "It builds on Python 3.12 and 3.13.", "The migration is backwards compatible.",
    "Nothing in {m} depends on that function any more.", "I left a TODO where the edge case is unclear.",
]
QUESTION_WORDS = {  # what a turn in a question's own words may say without answering it
    "setting": ["Do we even log the {p} of the {c} anywhere?", "Someone asked about the {p} for the {c}; I said I'd check.",
                "The {c} dashboard should show its {p} one day."],
    "cause": ["Are we alerting on {s} in the {c}?", "Ops saw {s} in the {c} on staging too, still investigating.",
              "Write a test that reproduces {s} in the {c}."],
    "choice": ["Does the {c} still need a {k} at all?", "List every {k} the {c} pulls in.",
               "Should we revisit which {k} the {c} depends on next quarter?"],
    "location": ["Where do tests for the {c} go?", "The {c} file is getting long.",
                 "Move the {c} helpers somewhere shared."],
    "howto": ["Is there a faster way to {a}?", "Write down how to {a} for new hires.",
              "CI should {a} automatically someday."],
}


@dataclass
class Turn:
    id: str
    text: str
    role: str  # user | assistant
    session: int
    created_at: float


@dataclass
class Question:
    q: str
    answer: str  # the id of the one turn that answers it
    kind: str  # lexical | paraphrase
    fact: str  # setting | cause | choice | location | howto


@dataclass
class Conversation:
    id: str
    split: str  # tune | test
    turns: list[Turn] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def _other(rng: random.Random, forms: list[str], used: str) -> str:
    return rng.choice([f for f in forms if f != used])


def _padded(rng: random.Random, text: str, role: str) -> str:
    """``text`` as a turn says it: an assistant's among a few other sentences about the work."""
    if role == "user" or rng.random() < 0.2:
        return text
    around = [rng.choice(FILLER).format(m=rng.choice(MODULES), f=rng.choice(MODULES), n=rng.randrange(2, 40))
              for _ in range(rng.randrange(1, 5))]
    around.insert(rng.randrange(len(around) + 1), text)
    return " ".join(around)


def _facts(rng: random.Random, facts: int) -> list[dict]:
    """``facts`` distinct facts for one conversation, with their questions and distractors."""
    out: list[dict] = []
    comps = rng.sample(range(len(COMPONENTS)), k=min(len(COMPONENTS) - 3, facts))
    kinds = ["setting", "cause", "choice", "location", "howto"]
    actions = rng.sample(range(len(ACTIONS)), k=len(ACTIONS))
    spare = [j for j in range(len(COMPONENTS)) if j not in comps]  # no fact is about these
    for n, ci in enumerate(comps):
        kind = kinds[n % len(kinds)]
        cf = COMPONENTS[ci]
        c = cf[0] if rng.random() < 0.7 else rng.choice(cf[1:])  # how the fact turn says it
        cq_para = _other(rng, cf, c)
        # A setting, symptom or kind of thing is paraphrased with its component, or alone, or
        # the component alone: real questions keep some of the words.
        keep = rng.choice(["component", "attribute", "neither"])
        cq_part = c if keep == "component" else cq_para
        others = [COMPONENTS[j][0] for j in rng.sample(spare, 3)]
        d: dict = {"kind": kind}
        if kind == "setting":
            si = rng.randrange(len(SETTINGS))
            pf, values = SETTINGS[si]
            p, v = pf[0], rng.choice(values)
            p2 = rng.choice([s[0][0] for j, s in enumerate(SETTINGS) if j != si])
            pq = p if keep == "attribute" else _other(rng, pf, p)
            d["fact"] = rng.choice([
                f"We set the {c} {p} to {v} after the incident last week.",
                f"Okay, the {c} {p} is now {v}; anything higher made the alerts noisy.",
                f"Decided: {p} for the {c} stays at {v}.",
            ])
            d["lexical"] = f"What is the {p} of the {c}?"
            d["paraphrase"] = rng.choice([f"What {pq} did we settle on for the {cq_part}?",
                                          f"remind me the {pq} we gave the {cq_part}",
                                          f"{cq_part} {pq}?"])
            d["distractors"] = [
                f"The {c} {p2} is still the default, we never touched it.",
                f"We set the {others[0]} {p} to {rng.choice(values)} as well.",
                f"Not sure the {p} matters much for the {others[1]}.",
            ]
            d["fill"] = {"p": pq, "c": cq_part}
        elif kind == "cause":
            sf = SYMPTOMS[rng.randrange(len(SYMPTOMS))]
            s = sf[0]
            cause = rng.choice(CAUSES)
            sq = s if keep == "attribute" else _other(rng, sf, s)
            d["fact"] = rng.choice([
                f"Found it: the {s} in the {c} was caused by {cause}.",
                f"Root cause of the {c} {s}: {cause}.",
                f"The {s} we kept seeing in the {c} came from {cause}.",
            ])
            d["lexical"] = f"What caused the {s} in the {c}?"
            d["paraphrase"] = rng.choice([f"why did the {cq_part} have {sq}?",
                                          f"what was behind the {sq} in the {cq_part}",
                                          f"reason for {sq} from the {cq_part}"])
            d["distractors"] = [
                f"Seeing {s} in the {others[0]} now, no idea why yet.",
                f"Is the {s} in the {c} back? The graph looks odd, but it was a deploy blip.",
                f"The {others[1]} had {s} too, but that was {rng.choice(CAUSES)}.",
            ]
            d["fill"] = {"s": sq, "c": cq_part}
        elif kind == "choice":
            kf, options = CHOICES[rng.randrange(len(CHOICES))]
            k = kf[0]
            pick, alt = rng.sample(options, 2)
            kq = k if keep == "attribute" else _other(rng, kf, k)
            d["fact"] = rng.choice([
                f"We chose {pick} over {alt} as the {k} for the {c} because {rng.choice(REASONS)}.",
                f"Going with {pick} for the {c}, not {alt}: {rng.choice(REASONS)}.",
            ])
            d["lexical"] = f"Which {k} did we choose for the {c}?"
            d["paraphrase"] = rng.choice([f"what {kq} does the {cq_part} use in the end?",
                                          f"what did we go with as the {cq_part} {kq}",
                                          f"{cq_part}: which {kq} won?"])
            d["distractors"] = [
                f"We chose {alt} for the {others[0]} a while ago.",
                f"Which {k} the {others[1]} uses is still open.",
                f"Compared three options for the {c} {k} today, no decision yet.",
            ]
            d["fill"] = {"k": kq, "c": cq_part}
        elif kind == "location":
            path = f"{rng.choice(DIRS)}/{MODULES[ci]}/{rng.choice(['core', 'handlers', 'impl', 'service', 'main'])}.py"
            d["fact"] = rng.choice([
                f"The {c} code lives in {path}.",
                f"FYI the {c} is implemented in {path}, not where you'd expect.",
            ])
            d["lexical"] = f"Where does the {c} code live?"
            d["paraphrase"] = rng.choice([f"which file implements the {cq_para}?",
                                          f"where's the source for the {cq_para}",
                                          f"path of the {cq_para} module"])
            d["distractors"] = [
                f"The {others[0]} code lives in {rng.choice(DIRS)}/{rng.choice(MODULES)}/core.py.",
                f"The {c} tests live in tests/test_{MODULES[ci]}.py.",
                f"Grep for the {c} code found nothing in the old folder.",
            ]
            d["fill"] = {"c": cq_para}
        else:
            af = ACTIONS[actions[n % len(actions)]]
            a = af[0]
            cmd = rng.choice(COMMANDS)
            aq = _other(rng, af, a)
            d["fact"] = rng.choice([f"To {a}, run `{cmd}`.", f"You can {a} with `{cmd}` from the repo root."])
            d["lexical"] = f"How do I {a}?"
            d["paraphrase"] = rng.choice([f"what's the command to {aq}?", f"how can I {aq}",
                                          f"{aq}: which command?"])
            other_action = ACTIONS[actions[(n + 1) % len(actions)]][0]
            d["distractors"] = [
                f"To {other_action}, run `{rng.choice(COMMANDS)}`.",
                f"Tried to {a} but my laptop ran out of disk space.",
                f"Don't {a} on the shared staging box.",
            ]
            d["fill"] = {"a": aq}
        d["in_words"] = rng.choice(QUESTION_WORDS[kind]).format(**d["fill"])
        out.append(d)
    return out


def conversation(seed: int, index: int, *, sessions: int = 8, turns_per_session: int = 40, facts: int = 10,
                 distractors: bool = True, start: float = 1_760_000_000.0) -> Conversation:
    """One project's chat: ``sessions`` days of ``turns_per_session`` turns, ``facts`` of
    them answering a question each (asked twice: in the fact's words and in others)."""
    rng = random.Random(f"{seed}/{index}")
    conv = Conversation(id=f"conv-{index:03d}", split="tune" if index % 2 == 0 else "test")
    planned = _facts(rng, facts)
    slots = [(s, t) for s in range(sessions) for t in range(turns_per_session)]
    rng.shuffle(slots)
    texts: dict[tuple[int, int], tuple[str, str | None]] = {}
    for n, d in enumerate(planned):
        texts[slots.pop()] = (d["fact"], f"fact-{n}")
    if distractors:
        for d in planned:
            for text in [*d["distractors"], d["in_words"]]:
                texts[slots.pop()] = (text, None)
    comp_names = [rng.choice(c) for c in COMPONENTS]
    for slot in slots:
        if rng.random() < 0.5:
            texts[slot] = (rng.choice(CHATTER), None)
        else:
            texts[slot] = (rng.choice(MENTIONS).format(c=rng.choice(comp_names)), None)
    ids: dict[str, str] = {}
    for s in range(sessions):
        for t in range(turns_per_session):
            text, tag = texts[(s, t)]
            tid = f"{conv.id}-s{s}-t{t:02d}"
            if tag is not None:
                ids[tag] = tid
            role = "user" if t % 2 == 0 else "assistant"
            conv.turns.append(Turn(tid, _padded(rng, text, role), role, s,
                                   start + index * 86400 * 30 + s * 86400 + t * 60))
    for n, d in enumerate(planned):
        for kind in ("lexical", "paraphrase"):
            conv.questions.append(Question(d[kind], ids[f"fact-{n}"], kind, d["kind"]))
    return conv


def dataset(seed: int = 7, conversations: int = 40, **kwargs) -> list[Conversation]:
    """``conversations`` conversations, alternately in the tune and test splits."""
    return [conversation(seed, i, **kwargs) for i in range(conversations)]
