"""Money is Decimal, CNY, two places, ROUND_HALF_UP — through this one helper."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Round to two places, half up; refuses floats, which cannot hold money."""
    if isinstance(value, float):
        raise TypeError("money() refuses float; pass a str or Decimal")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ["", "拾", "佰", "仟"]
_LARGE = ["", "万", "亿", "万亿"]


def amount_in_words(value: Decimal) -> str:
    """An amount in Chinese capital numerals (大写), as receipts print it: 壹佰贰拾叁元肆角伍分."""
    amount = money(value)
    if amount < 0:
        return "负" + amount_in_words(-amount)
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    words = ""
    if yuan:
        groups: list[int] = []
        while yuan:
            groups.append(yuan % 10000)
            yuan //= 10000
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = bool(words)
                continue
            text = ""
            digits = [group // 1000 % 10, group // 100 % 10, group // 10 % 10, group % 10]
            for pos, digit in enumerate(digits):
                if digit == 0:
                    if text or words:
                        zero_pending = True
                    continue
                if zero_pending and (text or words):
                    text += "零"
                zero_pending = False
                text += _DIGITS[digit] + _SMALL[3 - pos]
            words += text + _LARGE[index]
        words += "元"
    if not jiao and not fen:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    else:
        words += "整"
    return words
