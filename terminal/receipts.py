"""Receipts as data: a drivers ReceiptDocument built from the journal, in the terminal's
language (en_US, en_CA, fr_CA, zh_Hans). Only masked codes ever reach a receipt."""
from __future__ import annotations

import json

from drivers.printers.document import ReceiptDocument

from .config import Config
from .locale_formats import format_timestamp
from .money import Money, format_money, money_from_api
from .outcome import is_void
from .records import REFUND_SUCCESS, Refund, Transaction

# The refund reasons' words are the touchscreen's (ui/locale catalogs: Returned, Damaged,
# Overcharged, Reason); tests/ui/test_refund_reasons.py keeps the two in agreement.
LABELS = {
    "en": {"sale": "SALE", "refund": "REFUND", "void": "VOID", "terminal": "Terminal", "date": "Date",
           "amount": "Amount", "tip": "Tip", "total": "Total", "wallet": "Wallet", "code": "Code",
           "tx": "Transaction", "payment": "Payment ID", "customer": "Customer pays", "rate": "Rate",
           "APPROVED": "APPROVED", "DECLINED": "DECLINED", "CANCELLED": "CANCELLED - NOT CHARGED",
           "REFUNDED": "APPROVED", "PARTIALLY_REFUNDED": "APPROVED", "refunded": "Refunded",
           "copy": "COPY - DUPLICATE", "thanks": "Thank you!", "batch": "BATCH CLOSE", "payments": "Payments",
           "refunds": "Refunds", "matched": "MATCHED", "differences": "DIFFERENCES", "keep": "Customer copy",
           "reason": "Reason", "returned": "Returned", "damaged": "Damaged", "overcharged": "Overcharged"},
    "fr": {"sale": "VENTE", "refund": "REMBOURSEMENT", "void": "ANNULATION", "terminal": "Terminal",
           "date": "Date", "amount": "Montant", "tip": "Pourboire", "total": "Total", "wallet": "Portefeuille",
           "code": "Code", "tx": "Transaction", "payment": "No paiement", "customer": "Client paie",
           "rate": "Taux", "APPROVED": "APPROUVÉE", "DECLINED": "REFUSÉE", "CANCELLED": "ANNULÉE - NON DÉBITÉE",
           "REFUNDED": "APPROUVÉE", "PARTIALLY_REFUNDED": "APPROUVÉE", "refunded": "Remboursé",
           "copy": "COPIE - DUPLICATA", "thanks": "Merci!", "batch": "FERMETURE DE LOT", "payments": "Paiements",
           "refunds": "Remboursements", "matched": "CONCORDANT", "differences": "ÉCARTS", "keep": "Copie client",
           "reason": "Motif", "returned": "Retourné", "damaged": "Endommagé", "overcharged": "Trop facturé"},
    "zh": {"sale": "消费", "refund": "退款", "void": "撤销", "terminal": "终端号", "date": "日期", "amount": "金额",
           "tip": "小费", "total": "合计", "wallet": "钱包", "code": "付款码", "tx": "交易号", "payment": "支付单号",
           "customer": "顾客支付", "rate": "汇率", "APPROVED": "交易成功", "DECLINED": "交易失败",
           "CANCELLED": "已撤销 - 未扣款", "REFUNDED": "交易成功", "PARTIALLY_REFUNDED": "交易成功",
           "refunded": "已退款", "copy": "重印 - 副本", "thanks": "谢谢惠顾!", "batch": "批结算",
           "payments": "消费", "refunds": "退款", "matched": "对账一致", "differences": "对账差异",
           "keep": "顾客联", "reason": "原因", "returned": "退货", "damaged": "商品损坏", "overcharged": "多收费"},
}
BABEL_LOCALE = {"en_US": "en_US", "en_CA": "en_CA", "fr_CA": "fr_CA", "zh_Hans": "zh_Hans_CN"}


class ReceiptBuilder:
    def __init__(self, *, config: Config, width: int = 32):
        self.config = config
        self.width = width

    def _labels(self, locale: str | None) -> tuple[dict, str]:
        locale = locale or self.config.terminal.locale
        return LABELS[locale.split("_")[0]], locale

    def _money(self, money: Money, locale: str) -> str:
        return format_money(money, locale)

    def _when(self, iso: str, locale: str) -> str:
        return format_timestamp(iso, BABEL_LOCALE[locale])

    def _header(self, doc: ReceiptDocument, title: str, L: dict, when: str, locale: str, copy: bool) -> None:
        m = self.config.merchant
        if copy:
            doc.copy_marker(L["copy"])
        doc.text(m.name, align="center", bold=True, size="double").text(m.store_name, align="center")
        doc.separator().text(title, align="center", bold=True)
        doc.columns(L["terminal"], self.config.acquirer.terminal_id or self.config.terminal.serial_number)
        doc.columns(L["date"], self._when(when, locale))

    def sale(self, tx: Transaction, *, copy: bool = False, locale: str | None = None) -> ReceiptDocument:
        L, locale = self._labels(locale)
        doc = ReceiptDocument(width=self.width)
        title = L["void"] if is_void(tx) else L["sale"]      # a voided sale's slip says VOID
        self._header(doc, title, L, tx.final_at or tx.created_at, locale, copy)
        doc.separator()
        if tx.tip_minor:
            doc.columns(L["amount"], self._money(Money(tx.currency, tx.amount_minor - tx.tip_minor), locale))
            doc.columns(L["tip"], self._money(Money(tx.currency, tx.tip_minor), locale))
        doc.columns(L["total"], self._money(tx.amount, locale), bold=True)
        if tx.customer_amount:
            doc.columns(L["customer"], self._money(money_from_api(json.loads(tx.customer_amount)), locale))
            doc.columns(L["rate"], tx.exchange_rate)
        doc.columns(L["wallet"], tx.wallet).columns(L["code"], tx.masked_code)
        doc.columns(L["tx"], tx.id)
        if tx.payment_id:
            doc.columns(L["payment"], tx.payment_id)
        for refund in tx.refunds:
            if refund.state == REFUND_SUCCESS:
                doc.columns(L["refunded"], "-" + self._money(refund.amount, locale))
        doc.separator().text(L.get(tx.state.value, tx.state.value), align="center", bold=True, size="tall")
        doc.qr(tx.id, size=5).text(L["keep"] + " · " + L["thanks"], align="center").feed(2).cut()
        return doc

    def refund(self, tx: Transaction, refund: Refund, *, copy: bool = False,
               locale: str | None = None) -> ReceiptDocument:
        L, locale = self._labels(locale)
        doc = ReceiptDocument(width=self.width)
        self._header(doc, L["refund"], L, refund.final_at or refund.created_at, locale, copy)
        doc.separator().columns(L["refund"], self._money(refund.amount, locale), bold=True)
        doc.columns(L["wallet"], tx.wallet).columns(L["code"], tx.masked_code)
        doc.columns(L["tx"], tx.id).columns(L["payment"], tx.payment_id)
        if refund.reason_code:      # the preset's word in the slip's language; "other": as typed
            doc.columns(L["reason"], refund.reason_text if refund.reason_code == "other" else L[refund.reason_code])
        status = L["APPROVED"] if refund.state == REFUND_SUCCESS else L["DECLINED"]
        doc.separator().text(status, align="center", bold=True, size="double").feed(2).cut()
        return doc

    def batch(self, report: dict, *, locale: str | None = None) -> ReceiptDocument:
        L, locale = self._labels(locale)
        doc = ReceiptDocument(width=self.width)
        self._header(doc, L["batch"], L, report["closedAt"], locale, False)
        for t in report["totals"]:
            cur = t["currency"]
            doc.separator().text(cur, bold=True)
            doc.columns(f"{L['payments']} ({t['paymentCount']})",
                        self._money(Money(cur, int(t["paymentAmount"])), locale))
            doc.columns(f"{L['refunds']} ({t['refundCount']})", self._money(Money(cur, int(t["refundAmount"])), locale))
        doc.separator().text(L["matched"] if report["matched"] else L["differences"], align="center", bold=True)
        for d in report.get("differences", []):
            doc.text(f"{d['kind']} {d['reference']}")
        doc.feed(2).cut()
        return doc

    def test_slip(self, *, kind: str, status: str, message: str, when: str,
                  locale: str | None = None) -> ReceiptDocument:
        """`pos-terminal print-test` and the technician screen's Test print: everything a real
        receipt uses (bold, double size, the locale's money and date, Chinese text, a QR, the
        cut), plus the printer's own status, so one slip shows whether a receipt would come out
        right."""
        L, locale = self._labels(locale)
        doc = ReceiptDocument(width=self.width)
        self._header(doc, "TEST PRINT", L, when, locale, False)
        doc.separator().columns("Printer", kind).columns("Status", status)
        if message:
            doc.text(message)
        currency = (self.config.terminal.currencies or ["USD"])[0]
        doc.separator().columns(L["total"], self._money(Money(currency, 123456), locale), bold=True)
        doc.text("English: The quick brown fox")
        doc.text("Français : reçu, déjà, où")
        doc.text("中文：收据打印测试 谢谢惠顾")
        doc.separator().qr(f"POS-TERMINAL TEST {when}", size=5, caption="QR")
        doc.text(L["thanks"], align="center", size="tall").feed(2).cut()
        return doc

