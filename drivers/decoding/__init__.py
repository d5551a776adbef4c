"""QR decoding: single backends and the budgeted decoder chain used by the camera scanner."""
from .backends import BACKENDS, Decoder, OpenCVDecoder, PyzbarDecoder, ZxingDecoder, build_decoder
from .chain import DecoderChain

__all__ = ["BACKENDS", "Decoder", "DecoderChain", "OpenCVDecoder", "PyzbarDecoder",
           "ZxingDecoder", "build_decoder"]
