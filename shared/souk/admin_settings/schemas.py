"""The admin settings document (``GET/PUT /api/v1/admin/settings``) and its sections.

Each area adds its section here (commission and funds: finance; delivery: delivery; points: loyalty;
features: the feature flags, one boolean field per flag an area reads). Unknown keys are a 400 everywhere
in the document, an unknown flag included.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from souk.money import Money
from souk.schema import CamelModel

RateBps = Annotated[int, Field(ge=0, le=10_000, strict=True, description="Basis points: 1000 is 10%.")]
EntityId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
MAX_SPECIFIC_RATES = 500  # the document is one item: far below DynamoDB's 400 KB


class Section(CamelModel):
    model_config = ConfigDict(extra="forbid")


class CommissionSettings(Section):
    """The platform's cut of each order line: store rate, else category rate, else the default. Delivery fees
    are not commissioned: they are the platform's, whose couriers deliver (souk.finance.service.commissions)."""

    default_rate_bps: RateBps = 1000
    category_rates_bps: dict[EntityId, RateBps] = Field(default_factory=dict, max_length=MAX_SPECIFIC_RATES)
    store_rates_bps: dict[EntityId, RateBps] = Field(default_factory=dict, max_length=MAX_SPECIFIC_RATES)


def _usd(amount: int) -> Money:
    return Money(amount=amount, currency="usd")


class FundsSettings(Section):
    """When a store's earnings become payable, and the smallest payout."""

    hold_days: int = Field(
        default=7, ge=0, le=90, strict=True, description="Days after delivery before net is available."
    )
    minimum_payout: Money = Field(default_factory=lambda: _usd(1000))
    dispute_fee_payer: Literal["platform", "store"] = Field(
        default="platform", description="Who bears Stripe's dispute fee when a chargeback is withdrawn."
    )


class DeliverySettings(Section):
    """Courier dispatch and delivery ETAs (API.md, Delivery)."""

    offer_seconds: int = Field(
        default=60, ge=10, le=3600, strict=True, description="How long a courier has to accept an offer."
    )
    max_radius_km: float = Field(default=15, gt=0, le=100, description="How far from the store couriers are sought.")
    stale_after_seconds: int = Field(
        default=120, ge=10, le=3600, strict=True, description="Courier positions older than this are ignored."
    )
    courier_speed_kmh: float = Field(
        default=25, gt=0, le=200, description="The speed ETAs assume when no recent speed is known."
    )
    proof_radius_meters: int = Field(
        default=200, ge=10, le=5000, strict=True,
        description="How far from the drop-off a courier's last position may be when they mark a delivery delivered.",
    )  # fmt: skip


class RedeemValue(Section):
    """What ``points`` loyalty points are worth at checkout: ``amount`` (in the points' currency)."""

    points: int = Field(default=100, ge=1, le=1_000_000, strict=True)
    amount: Money = Field(default_factory=lambda: _usd(100))


class PointsTier(Section):
    """A loyalty tier: reached with at least ``spend12m`` paid over the last 12 months."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_ -]+$")
    spend12m: Money = Field(alias="spend12m")  # the contract's spelling (camelCase would make it spend12M)


class PointsSettings(Section):
    """Loyalty points (API.md, Loyalty points): earning, redeeming, expiry, reminders and tiers."""

    earn_per_major_unit: int = Field(
        default=1, ge=0, le=1000, strict=True, description="Points earned per whole currency unit paid."
    )
    redeem_value: RedeemValue = Field(default_factory=lambda: RedeemValue())
    expiry_days: int = Field(default=365, ge=1, le=3650, strict=True, description="Days a lot of points lives.")
    reminder_days: int = Field(
        default=14, ge=0, le=365, strict=True, description="Days before a lot expires that its owner is reminded."
    )
    tiers: list[PointsTier] = Field(
        default_factory=lambda: [PointsTier(name="silver", spend12m=_usd(50000))], max_length=20
    )

    @model_validator(mode="after")
    def _one_currency(self) -> PointsSettings:
        currency = self.redeem_value.amount.currency
        if any(tier.spend12m.currency != currency for tier in self.tiers):
            raise ValueError(f"Every tier's spend12m must be in the redeemValue's currency ({currency}).")
        if len({tier.name for tier in self.tiers}) != len(self.tiers):
            raise ValueError("Tier names must be unique.")
        return self


class FeatureSettings(Section):
    """Feature flags (API.md: ``"features": {"<flag>": true}``): platform-wide switches an admin turns
    on or off, each declared here as a strict boolean with its default by the area that reads it
    (``current().features.<flag>``), so an unknown flag is a 400 and none is stored that nothing reads."""

    exports: bool = Field(
        default=True, strict=True,
        description="POST /api/v1/exports queues exports; off: 403 naming `features.exports` (jobs already "
                    "queued finish; the GDPR account export is owed and never turned off).",
    )  # fmt: skip


class AdminSettings(CamelModel):
    """The whole document as read; ``version`` is what a PUT must send back."""

    version: int = Field(description="0 while the defaults apply; +1 on every change.")
    commission: CommissionSettings = Field(default_factory=lambda: CommissionSettings())
    funds: FundsSettings = Field(default_factory=lambda: FundsSettings())
    delivery: DeliverySettings = Field(default_factory=lambda: DeliverySettings())
    points: PointsSettings = Field(default_factory=lambda: PointsSettings())
    features: FeatureSettings = Field(default_factory=lambda: FeatureSettings())


class AdminSettingsUpdate(CamelModel):
    """PUT body: the ``version`` read, and any subset of the sections (each replaced whole)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, strict=True, description="The version this change was made from.")
    commission: CommissionSettings | None = None
    funds: FundsSettings | None = None
    delivery: DeliverySettings | None = None
    points: PointsSettings | None = None
    features: FeatureSettings | None = None

    @model_validator(mode="after")
    def _changes_a_section(self) -> AdminSettingsUpdate:
        if not self.sections():
            raise ValueError("Send at least one section to change.")
        return self

    def sections(self) -> dict[str, Section]:
        return {name: value for name in SECTIONS if (value := getattr(self, name)) is not None}


SECTIONS: tuple[Literal["commission", "funds", "delivery", "points", "features"], ...] = (
    "commission",
    "funds",
    "delivery",
    "points",
    "features",
)
# Keys a release removed, by section: a stored document may still hold them (saved before), so reading it drops
# them; a PUT sending one is a 400 like any unknown key. commissionDeliveryFees: delivery fees are the platform's.
RETIRED: dict[str, frozenset[str]] = {"commission": frozenset({"commissionDeliveryFees"})}
