"""`make reconcile`: every store's balance against the sum of its entries, from an operator's shell."""

from __future__ import annotations

from collections.abc import Iterator

import botocore.client
import pytest

from infra import reconcile
from souk.db.transactions import WriteTransaction
from souk.finance import ledger
from souk.finance.keys import BALANCE, store_finance
from souk.finance.models import StoreBalance
from souk.finance.store.ledger import post
from tests import support


@pytest.fixture
def table(aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The moto table; the operator's audit may Scan it (the request-path guard is lifted here)."""
    from souk.db.base import SoukItem, configure

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", support._UNGUARDED_CALL)
    original = SoukItem.Meta.table_name, SoukItem.Meta.host
    yield aws_resources["Table"]
    configure(host=original[1], table_name=original[0])


def _sell(store_id: str, order_id: str, gross: int) -> None:
    with WriteTransaction() as tx:
        post(tx, ledger.sale(store_id, order_id, "usd", gross=gross, commission=gross // 10))


def test_every_store_balances(table: str, capsys: pytest.CaptureFixture[str]) -> None:
    _sell("store-a", "o1", 1_000)
    _sell("store-b", "o2", 2_000)
    _sell("store-b", "o3", 500)
    assert reconcile.main(["--table", table]) == 0
    out = capsys.readouterr().out
    assert "ok        store-a: 1 entries" in out and "ok        store-b: 2 entries" in out
    assert "2 of 2 stores balance" in out


def test_a_balance_changed_outside_the_ledger_is_reported(table: str, capsys: pytest.CaptureFixture[str]) -> None:
    _sell("store-a", "o1", 1_000)
    _sell("store-b", "o2", 2_000)
    # WHEN someone edits store-b's balance without an entry
    StoreBalance(pk=store_finance("store-b"), sk=BALANCE).update([StoreBalance.available.add(700)])
    # THEN the check fails and names that store only
    assert reconcile.main(["--table", table]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH  store-b: stored" in out and "'available': 700" in out
    assert "ok        store-a" in out and "1 of 2 stores balance" in out
    # AND one store can be checked alone
    assert reconcile.main(["--table", table, "--store", "store-a"]) == 0
    assert "1 of 1 stores balance" in capsys.readouterr().out
    # (the suite's own after-test check would fail too: put the balance back)
    StoreBalance(pk=store_finance("store-b"), sk=BALANCE).update([StoreBalance.available.add(-700)])
