"""refund and inquiryRefund (filled in below the payment path)."""


def install(ctx) -> None:
    pass
