"""What is said in the demo: each story's prompts, the tool calls they lead to, and the answers.

``demo.py`` decides when each session runs, on which model and how full its context gets;
this module holds the words, so either can change without wading through the other.
A step is one tool call as ``Files.op`` takes it: a kind and a path, command or pattern.
"""

from __future__ import annotations

from ._claude_lines import Steps

Turn = tuple[float, str, Steps, str]  # minutes after the session started, prompt, tool steps, answer
Task = tuple[str, Steps, str]  # prompt, tool steps, answer
CodexTask = tuple[str, list[tuple[str, str, str]], str]  # prompt, (reasoning summary, tool, argument), answer

# --- web-api, the long session: rate limiting, with a sub-agent surveying Redis ---------------------

RATE_LIMIT_ASK = (
    "Add per-client rate limiting to the /v1/orders endpoints. Use the Redis we already have"
    " (settings.redis_url); the limit should depend on the API key's plan."
)
RATE_LIMIT_LOOK: Steps = [
    ("todo", "Find how requests are authenticated; Design the limiter; Implement it; Add tests"),
    ("grep", "redis_url"),
    ("read", "src/api/orders.py"),
    ("read", "src/settings.py"),
    ("read", "src/api/deps.py"),
]
RATE_LIMIT_THOUGHT = "Check how keys and plans are modelled before designing."
RATE_LIMIT_PLAN = (
    "Plan: a sliding-window limiter keyed by API key in Redis (one sorted set per key,"
    " `ZREMRANGEBYSCORE` + `ZCARD` in a pipeline), applied as a dependency on the orders router."
    " Limits come from the key's plan: free 60/min, team 600/min. Shall I go ahead?"
)
RATE_LIMIT_GO_AHEAD = "Go ahead. First have a sub-agent check how the other modules use Redis so we stay consistent."
RATE_LIMIT_BUILD: Steps = [("write", "src/api/ratelimit.py"), ("edit", "src/api/orders.py")]
RATE_LIMIT_BUILD_LEAD = "Following the conventions in src/cache.py."
RATE_LIMIT_BUILT = (
    "Added `src/api/ratelimit.py` (sliding window, keys `webapi:ratelimit:<key id>`, fails open on"
    " RedisError like the sessions code) and applied it to the orders router."
)
RATE_LIMIT_TURNS: list[Turn] = [
    (
        95,
        "Write tests for the limiter, including the burst case and the response headers.",
        [
            ("read", "tests/conftest.py"),
            ("write", "tests/test_ratelimit.py"),
            ("bash!", "pytest tests/test_ratelimit.py -q"),
            ("edit", "src/api/ratelimit.py"),
            ("bash", "pytest tests/test_ratelimit.py -q"),
        ],
        "Added 7 tests (burst, window reset, plan limits, Redis down). The first run caught a missing"
        " `X-RateLimit-Remaining` on allowed requests; fixed, all pass.",
    ),
    (
        150,
        "The 429 should include Retry-After and the X-RateLimit-* headers like GitHub does.",
        [
            ("read", "src/api/ratelimit.py"),
            ("edit", "src/api/ratelimit.py"),
            ("edit", "src/api/ratelimit.py"),
            ("bash", "pytest tests/test_ratelimit.py -q"),
        ],
        "429 responses now carry `Retry-After` (seconds until the oldest request leaves the window) and"
        " `X-RateLimit-Limit`, `-Remaining` and `-Reset`; allowed responses carry the three X- headers.",
    ),
    (
        200,
        "Run the whole test suite and fix anything that broke.",
        [
            ("bash!", "pytest -q"),
            ("read", "tests/test_orders.py"),
            ("edit", "tests/test_orders.py"),
            ("bash", "pytest -q"),
        ],
        "One failure: `test_orders` created 200 orders in a loop and hit the new limit. The test client now"
        " uses a key on the `internal` plan. The full suite passes.",
    ),
    (
        250,
        "Update the API docs and the changelog.",
        [("read", "docs/api/orders.md"), ("edit", "docs/api/orders.md"), ("edit", "CHANGELOG.md")],
        "Documented the limits and headers in docs/api/orders.md and added an Unreleased changelog entry.",
    ),
    (
        278,
        "Write a PR description for this.",
        [("bash", "git diff --stat main")],
        "**Rate limiting for /v1/orders**\n\n- Sliding-window limiter in Redis, per API key, limits by plan"
        " (free 60/min, team 600/min)\n- 429 with Retry-After and X-RateLimit-* headers\n- Fails open if"
        " Redis is unavailable\n- 7 new tests; docs and changelog updated",
    ),
]

REDIS_SURVEY = "Survey Redis usage"
REDIS_SURVEY_LEAD = "I'll have a sub-agent survey the Redis usage first."
REDIS_SURVEY_TASK = (
    "Find every place in src/ that talks to Redis. Report the client construction, key naming scheme"
    " and error handling, with file paths."
)
REDIS_SURVEY_STEPS: Steps = [("grep", "redis"), ("read", "src/cache.py"), ("read", "src/api/sessions.py")]
REDIS_SURVEY_REPORT = (
    "Redis is used in two places. `src/cache.py` builds one `Redis.from_url(settings.redis_url)` at"
    " import and exposes `get_redis()`; keys are `webapi:<area>:<id>`. `src/api/sessions.py` wraps"
    " calls in `try/except RedisError` and fails open with a warning."
)

# --- web-api, a second live session: order totals off by a cent ------------------------------------

ORDER_TOTALS_TURNS: list[Turn] = [
    (
        0,
        "Order totals are off by a cent for some discounted orders (ticket #4821). Find out why.",
        [("grep", "def order_total"), ("read", "src/domain/pricing.py"), ("read", "tests/test_pricing.py")],
        "`order_total` sums floats and rounds once at the end, so 3 x 0.335 becomes 1.0049999 and rounds"
        " down. Money should be `Decimal`, rounded per line with ROUND_HALF_EVEN.",
    ),
    (
        21,
        "Yes, switch to Decimal with ROUND_HALF_EVEN and add a regression test.",
        [
            ("edit", "src/domain/pricing.py"),
            ("edit", "tests/test_pricing.py"),
            ("bash", "pytest tests/test_pricing.py -q"),
        ],
        "Pricing uses Decimal now; `test_order_total_rounds_half_even` covers the ticket's amounts.",
    ),
    (
        39,
        "Does anything else in src/ do money math with floats?",
        [("grep", "float("), ("read", "src/api/orders.py")],
        "Only `OrderOut.total`, which converts to float for JSON. Serialising it as a string keeps"
        " precision but changes the API, so I left it for you to decide.",
    ),
]

# --- mobile-app, the degraded session: a checkout freeze, read until the context is nearly full ----

CHECKOUT_FILES = [
    "screens/CheckoutScreen.tsx",
    "store/cart.ts",
    "screens/CartScreen.tsx",
    "store/coupon.ts",
    "components/CouponInput.tsx",
    "hooks/useCheckout.ts",
    "api/checkout.ts",
    "components/PriceTag.tsx",
    "utils/price.ts",
    "navigation/RootNavigator.tsx",
    "store/index.ts",
    "api/client.ts",
]
CHECKOUT_ASK = (
    "The checkout screen freezes on Android after applying a coupon. Read through the checkout flow and"
    " the cart store and figure out what's going on."
)
CHECKOUT_MAP_LEAD = "Let me map out the checkout flow."
CHECKOUT_GUESS = (
    "I think `applyCoupon` calls `recalculate`, which replaces every item, which re-runs the coupon"
    " effect in CheckoutScreen, which applies the coupon again: an update loop."
)
CHECKOUT_FIX = "Fix it. Keep the existing selector names."
CHECKOUT_FIX_LEAD = "I'll stop recalculate from replacing unchanged items."
CHECKOUT_STUCK = (
    "The edit did not apply: my copy of cart.ts is stale. The test still shows the update loop"
    " (`Maximum update depth exceeded`). The context is nearly full; I suggest a fresh session"
    " starting from a summary of what we found."
)

# --- data-pipeline, the idle session: a slow DAG ----------------------------------------------------

SLOW_DAG_TURNS: list[Turn] = [
    (
        0,
        "Why did last night's daily_orders DAG take 3 hours? Look at the transform step.",
        [("read", "dags/daily_orders.py"), ("read", "pipeline/transform.py"), ("grep", "iterrows")],
        "`transform` loops with `iterrows()` over ~4M rows to look up each customer's region. That is"
        " the 3 hours; a merge on customer_id does it in seconds.",
    ),
    (
        14,
        "Vectorise that loop with a merge instead.",
        [("edit", "pipeline/transform.py"), ("bash", "pytest tests/test_transform.py -q")],
        "Replaced the loop with `frame.merge(regions, on='customer_id', how='left')`; tests pass and"
        " last night's extract now takes 41 s.",
    ),
]

# --- infra, the resumed session: an RDS upgrade, picked up again the next day -----------------------

RDS_TURNS: list[Turn] = [
    (
        0,
        "Bump the prod RDS instance class to db.r6g.xlarge and enable performance insights.",
        [
            ("read", "terraform/envs/prod/main.tf"),
            ("read", "terraform/modules/rds/main.tf"),
            ("edit", "terraform/envs/prod/main.tf"),
            ("bash", "terraform plan -chdir=terraform/envs/prod"),
        ],
        "Prod now uses db.r6g.xlarge with performance insights (7-day retention); the plan is an"
        " in-place update for the next maintenance window.",
    ),
    (
        18,
        "Also set the backup window to 03:00-04:00 UTC.",
        [("edit", "terraform/modules/rds/main.tf"), ("bash", "terraform fmt -check -recursive")],
        'Added `backup_window = "03:00-04:00"` to the module; fmt is clean.',
    ),
]
RDS_SUMMARY = "RDS prod instance upgrade and backup window"
RDS_RESUMED_TURNS: list[Turn] = [
    (
        0,
        "Picking this up again: the plan showed the parameter group being replaced. Can we avoid that?",
        [
            ("read", "terraform/modules/rds/main.tf"),
            ("edit", "terraform/modules/rds/main.tf"),
            ("bash", "terraform plan -chdir=terraform/envs/prod"),
        ],
        "The replacement came from the family changing with the engine version; pinning `family ="
        ' "postgres16"` makes it an in-place update.',
    ),
    (
        25,
        "Now do the same for staging.",
        [("read", "terraform/envs/staging/main.tf"), ("edit", "terraform/envs/staging/main.tf")],
        "Staging now matches prod except for the instance class (db.r6g.large).",
    ),
]

# --- earlier days on every project ------------------------------------------------------------------

TASKS: dict[str, list[Task]] = {
    "web-api": [
        (
            "Add an index on orders.customer_id and write the Alembic migration.",
            [
                ("read", "src/db/models.py"),
                ("write", "migrations/versions/0042_orders_customer_idx.py"),
                ("bash", "alembic upgrade head"),
            ],
            "Added `ix_orders_customer_id` to the model and migration 0042 (created concurrently, so no"
            " table lock). `alembic upgrade head` ran cleanly on the dev database.",
        ),
        (
            "Explain how authentication works in this service.",
            [("grep", "Authorization"), ("read", "src/api/auth.py"), ("read", "src/api/deps.py")],
            "Requests carry a bearer JWT signed with RS256. `current_user` checks the scheme, verifies the"
            " token against `settings.jwt_public_key` and loads the user from the `sub` claim; every router"
            " depends on it through `src/api/deps.py`.",
        ),
        (
            "Review my last commit for security issues.",
            [("bash", "git show --stat HEAD"), ("read", "src/api/auth.py")],
            "Nothing critical. The 401 detail echoes the token scheme back; keep it generic. Consider"
            " `leeway=30` on `jwt.decode` for clock skew.",
        ),
    ],
    "mobile-app": [
        (
            "Add a loading skeleton to the order history screen.",
            [
                ("read", "src/screens/OrderHistoryScreen.tsx"),
                ("edit", "src/screens/OrderHistoryScreen.tsx"),
                ("bash", "npx jest src/screens"),
            ],
            "The list renders six `SkeletonRow`s while `isLoading` is true; tests pass.",
        ),
        (
            "Upgrade react-navigation to v7 and fix the type errors.",
            [
                ("read", "package.json"),
                ("bash!", "npx tsc --noEmit"),
                ("edit", "src/navigation/RootNavigator.tsx"),
                ("bash", "npx tsc --noEmit"),
            ],
            "Upgraded to @react-navigation/native 7.0; the only break was the typed `navigation.replace`"
            " call in RootNavigator, now fixed. `tsc` is clean.",
        ),
    ],
    "data-pipeline": [
        (
            "Add a data quality check that fails the run if more than 1% of rows have a null customer_id.",
            [
                ("read", "pipeline/checks.py"),
                ("edit", "pipeline/checks.py"),
                ("write", "tests/test_checks.py"),
                ("bash", "pytest tests/test_checks.py -q"),
            ],
            "Added `check_null_ratio(frame, 'customer_id', 0.01)` after ingest; it raises"
            " `DataQualityError` with the observed ratio. Three tests cover under, at and over the threshold.",
        ),
        (
            "The October backfill died with an OOM. Reduce memory use in ingest.",
            [("read", "pipeline/ingest.py"), ("edit", "pipeline/ingest.py"), ("bash", "pytest -q")],
            "Ingest now reads the export in 200k-row chunks with explicit dtypes (categoricals for status and"
            " region), which cuts peak memory from ~11 GB to ~1.4 GB on the October file.",
        ),
    ],
}

# --- Codex, one task per project ---------------------------------------------------------------------

_PATCH = (
    "*** Begin Patch\n*** Update File: {}\n@@\n-    return totals\n"
    '+    return totals.sort_values("order_date")\n*** End Patch\n'
)
CODEX_TASKS: dict[str, CodexTask] = {
    "web-api": (
        "Add OpenAPI examples for the order endpoints.",
        [
            ("**Finding the order schemas**", "shell", 'rg -n "class Order" src'),
            ("**Adding examples**", "apply_patch", _PATCH.format("src/api/schemas.py")),
            ("**Running tests**", "shell", "pytest -q tests/test_openapi.py"),
        ],
        "Added `json_schema_extra` examples to OrderIn and OrderOut; /docs shows them and the OpenAPI"
        " snapshot test is updated.",
    ),
    "data-pipeline": (
        "Write a script comparing row counts between the warehouse and the source DB for yesterday.",
        [
            ("**Reading the connection config**", "shell", "sed -n '1,120p' pipeline/config.py"),
            ("**Writing the script**", "apply_patch", _PATCH.format("scripts/compare_counts.py")),
            ("**Trying it**", "shell", "python scripts/compare_counts.py --help"),
        ],
        "Added scripts/compare_counts.py: it counts yesterday's rows per table on both sides and exits 1"
        " if any differ by more than 0.1%.",
    ),
    "infra": (
        "Add a GitHub Actions workflow that runs terraform fmt and validate on pull requests.",
        [
            ("**Looking at existing workflows**", "shell", "ls .github/workflows && cat .github/workflows/deploy.yml"),
            ("**Adding the workflow**", "apply_patch", _PATCH.format(".github/workflows/terraform.yml")),
        ],
        "Added .github/workflows/terraform.yml running `terraform fmt -check -recursive` and"
        " `terraform validate` for each env on PRs that touch terraform/.",
    ),
}
