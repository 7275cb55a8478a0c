"""What tool results are made of: the text of a project's files and the output of its commands.

Files are stitched from a few chunks per language, so any number of them can be made
from one seeded generator; both assistants' tool calls draw on this.
"""

from __future__ import annotations

import os
import random

_CHUNKS = {
    "py": [
        """\
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

logger = logging.getLogger(__name__)
""",
        """\
@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def subtotal(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
""",
        """\
def create_order(session: Session, customer_id: int, lines: list[OrderLine]) -> Order:
    if not lines:
        raise ValueError("an order needs at least one line")
    order = Order(customer_id=customer_id, status="pending")
    for line in lines:
        order.lines.append(OrderLineRow(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price))
    session.add(order)
    session.flush()
    logger.info("created order %s for customer %s", order.id, customer_id)
    return order
""",
        """\
@router.get("/v1/orders/{order_id}")
async def get_order(order_id: int, user: User = Depends(current_user)) -> OrderOut:
    order = await orders.get(order_id)
    if order is None or order.customer_id != user.customer_id:
        raise HTTPException(status_code=404, detail="order not found")
    return OrderOut.from_model(order)
""",
        """\
def test_create_order_rejects_empty_lines(session):
    with pytest.raises(ValueError):
        create_order(session, customer_id=1, lines=[])


def test_order_total_rounds_half_even(session):
    order = create_order(session, 1, [OrderLine("A-1", 3, Decimal("0.335"))])
    assert order_total(order) == Decimal("1.00")
""",
        """\
def transform(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.dropna(subset=["customer_id"])
    frame["order_date"] = pd.to_datetime(frame["created_at"]).dt.date
    totals = frame.groupby(["customer_id", "order_date"], as_index=False)["amount"].sum()
    return totals.rename(columns={"amount": "daily_total"})
""",
        """\
class Settings(BaseSettings):
    redis_url: str = "redis://localhost:6379/0"
    database_url: str
    rate_limit_per_minute: int = 120

    model_config = SettingsConfigDict(env_file=".env")
""",
        """\
async def current_user(authorization: str = Header(...)) -> User:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="missing bearer token")
    claims = jwt.decode(token, settings.jwt_public_key, algorithms=["RS256"])
    return await users.get(claims["sub"])
""",
    ],
    "ts": [
        """\
import React, { useCallback, useMemo } from 'react';
import { View, Text, Pressable } from 'react-native';
import { useCartStore } from '../store/cart';
""",
        """\
export function CheckoutScreen({ navigation }: Props) {
  const items = useCartStore((s) => s.items);
  const coupon = useCartStore((s) => s.coupon);
  const total = useMemo(() => priceWithCoupon(items, coupon), [items, coupon]);
  const onPay = useCallback(async () => {
    await api.checkout({ items, coupon: coupon?.code });
    navigation.replace('OrderPlaced');
  }, [items, coupon, navigation]);
  return (
    <View style={styles.container}>
      <PriceTag amount={total} />
      <Pressable onPress={onPay}><Text>Pay</Text></Pressable>
    </View>
  );
}
""",
        """\
export const useCartStore = create<CartState>((set, get) => ({
  items: [],
  coupon: null,
  applyCoupon: (coupon) => {
    set({ coupon });
    get().recalculate();
  },
  recalculate: () => set((s) => ({ items: s.items.map((i) => ({ ...i })) })),
}));
""",
        """\
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${BASE_URL}${path}`, { ...init, headers: await authHeaders(init.headers) });
  if (!res.ok) {
    throw new ApiError(res.status, await res.text());
  }
  return (await res.json()) as T;
}
""",
        """\
describe('priceWithCoupon', () => {
  it('applies a percentage coupon once', () => {
    expect(priceWithCoupon([{ sku: 'a', price: 1000, qty: 2 }], { code: 'TEN', percent: 10 })).toBe(1800);
  });
});
""",
    ],
    "tf": [
        """\
resource "aws_db_instance" "main" {
  identifier              = "${var.name}-${var.env}"
  engine                  = "postgres"
  engine_version          = "16.4"
  instance_class          = var.instance_class
  allocated_storage       = var.storage_gb
  backup_retention_period = 14
  parameter_group_name    = aws_db_parameter_group.main.name
  tags                    = local.tags
}
""",
        """\
variable "instance_class" {
  type        = string
  description = "RDS instance class"
  default     = "db.t4g.medium"
}
""",
        """\
module "rds" {
  source         = "../../modules/rds"
  name           = "orders"
  env            = "prod"
  instance_class = "db.r6g.large"
  storage_gb     = 200
}
""",
        """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web-api
          image: ghcr.io/acme/web-api:1.42.0
""",
    ],
    "md": [
        """\
## Orders API

`POST /v1/orders` creates an order. Requests are limited per API key; see *Rate limits*.
""",
        """\
### Rate limits

| plan | requests per minute |
| --- | --- |
| free | 60 |
| team | 600 |
""",
    ],
}
_LANG = {".py": "py", ".ts": "ts", ".tsx": "ts", ".json": "ts", ".tf": "tf", ".yaml": "tf", ".yml": "tf", ".md": "md"}


def lang_of(path: str) -> str:
    """Which chunks a file of this name is made of."""
    return _LANG.get(os.path.splitext(path)[1], "py")


def source(rng: random.Random, lang: str, n_lines: int) -> str:
    """A file of ``n_lines`` lines: the language's imports, then chunks drawn at random."""
    chunks = _CHUNKS[lang]
    lines = chunks[0].split("\n")
    while len(lines) < n_lines:
        lines += rng.choice(chunks).split("\n")
    return "\n".join(lines[:n_lines]) + "\n"


def _pytest_output(rng: random.Random, cwd: str, ok: bool) -> str:
    n = rng.randint(8, 60)
    bar = "=" * 30
    out = (
        f"{bar} test session starts {bar}\nplatform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0\n"
        f"rootdir: {cwd}\nconfigfile: pyproject.toml\ncollected {n} items\n\n"
        + "".join(f"tests/test_{m}.py {'.' * rng.randint(2, 12)}\n" for m in ("api", "orders", "pricing"))
    )
    if ok:
        return out + f"\n{bar} {n} passed in {rng.uniform(0.4, 9):.2f}s {bar}"
    return out + (
        f"\n{bar} FAILURES {bar}\n______ test_limit_resets_window ______\n\n"
        '>       assert response.headers["X-RateLimit-Remaining"] == "119"\n'
        "E       KeyError: 'x-ratelimit-remaining'\n\ntests/test_ratelimit.py:41: KeyError\n"
        f"{bar} short test summary info {bar}\n"
        f"FAILED tests/test_ratelimit.py::test_limit_resets_window - KeyError\n1 failed, {n - 1} passed"
    )


def bash_output(rng: random.Random, cwd: str, command: str, ok: bool) -> str:
    """What ``command`` prints, passing or (``ok`` false) failing, by the tool it runs."""
    if "pytest" in command:
        return _pytest_output(rng, cwd, ok)
    if "jest" in command or "tsc" in command:
        if ok:
            return (
                "PASS src/store/cart.test.ts\nPASS src/utils/price.test.ts\n\n"
                f"Tests:       {rng.randint(10, 90)} passed\nTime:        {rng.uniform(1, 8):.3f} s"
            )
        return (
            "FAIL src/store/cart.test.ts\n  \u25cf cart \u203a applyCoupon does not loop\n\n"
            "    Maximum update depth exceeded. This can happen when a component calls setState inside"
            " useEffect.\n\n      at recalculate (src/store/cart.ts:9:28)\n\n"
            "Tests:       1 failed, 23 passed, 24 total"
        )
    if command.startswith("terraform"):
        return (
            "module.rds.aws_db_instance.main: Refreshing state... [id=orders-prod]\n\n"
            "  # module.rds.aws_db_instance.main will be updated in-place\n"
            '  ~ resource "aws_db_instance" "main" {\n'
            '      ~ instance_class = "db.r6g.large" -> "db.r6g.xlarge"\n    }\n\n'
            "Plan: 0 to add, 1 to change, 0 to destroy."
        )
    if command.startswith("git"):
        return (
            " src/api/ratelimit.py      | 84 ++++++++++++\n src/api/orders.py         | 12 +-\n"
            " tests/test_ratelimit.py   | 97 +++++++++++++\n 3 files changed, 189 insertions(+), 4 deletions(-)"
        )
    return (
        "total 48\ndrwxr-xr-x  8 alex alex 4096 .\n-rw-r--r--  1 alex alex 1207 README.md\n"
        "drwxr-xr-x  6 alex alex 4096 src\ndrwxr-xr-x  3 alex alex 4096 tests"
    )
