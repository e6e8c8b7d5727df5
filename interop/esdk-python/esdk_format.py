"""A small, independent parser for ESDK message format v2 (framed content).

It does no cryptography. make_vectors.py uses it to find the byte offsets it
mutates for negative vectors; check_vectors.py uses it to check that each
vector's header says what its manifest entry says (suite, frame length,
namespace, key name, encryption context) and that the bytes parse exactly.

Layout (all integers big-endian):
  header:  version u8 (=2) | suite id u16 | message id [32]
           | AAD length u16 | AAD (empty when the context is empty; else
             count u16, then per pair klen u16, key, vlen u16, value,
             pairs sorted by key bytes)
           | EDK count u16 | per EDK: provider id (u16 len + bytes),
             provider info (u16 len + bytes), ciphertext (u16 len + bytes)
           | content type u8 (2 = framed) | frame length u32
           | suite data [32] (the commitment key for 0478/0578)
  header auth tag [16]   (v2: no IV; the IV is all zeros)
  frames:  regular: seq u32 | IV [12] | content [frame length] | tag [16]
           final:   0xFFFFFFFF | seq u32 | IV [12] | len u32 | content | tag [16]
  footer (0578 only): signature length u16 | DER ECDSA-P384 signature
"""
import struct

SUITE_SIGNED = {0x0478: False, 0x0578: True}


class FormatError(Exception):
    pass


class _R:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise FormatError("truncated at offset %d (need %d bytes)" % (self.pos, n))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def vec16(self):
        return self.take(self.u16())


def parse_context(aad):
    """Return the context pairs as a list of (key bytes, value bytes) in wire order."""
    if not aad:
        return []
    r = _R(aad)
    pairs = [(r.vec16(), r.vec16()) for _ in range(r.u16())]
    if r.pos != len(aad):
        raise FormatError("extra bytes after encryption context")
    return pairs


def parse(data):
    """Parse a whole v2 message; return a dict of fields and offsets."""
    r = _R(data)
    m = {}
    m["version"] = r.u8()
    if m["version"] != 2:
        raise FormatError("version %d, want 2" % m["version"])
    m["suite_id"] = r.u16()
    if m["suite_id"] not in SUITE_SIGNED:
        raise FormatError("suite %04x not 0478/0578" % m["suite_id"])
    m["message_id_offset"] = r.pos
    m["message_id"] = r.take(32)
    m["aad_offset"] = r.pos + 2
    m["aad"] = r.vec16()
    m["context_pairs"] = parse_context(m["aad"])
    m["edks"] = []
    for _ in range(r.u16()):
        m["edks"].append({"provider_id": r.vec16(), "provider_info": r.vec16(), "ciphertext": r.vec16()})
    m["content_type"] = r.u8()
    if m["content_type"] != 2:
        raise FormatError("content type %d, want 2 (framed)" % m["content_type"])
    m["frame_length"] = r.u32()
    m["suite_data_offset"] = r.pos
    m["suite_data"] = r.take(32)
    m["header_length"] = r.pos
    m["header_auth_offset"] = r.pos
    r.take(16)
    m["frames"] = []
    seq = 1
    while True:
        start = r.pos
        first = r.u32()
        if first == 0xFFFFFFFF:
            if r.u32() != seq:
                raise FormatError("final frame sequence number out of order")
            r.take(12)
            n = r.u32()
            if n > m["frame_length"]:
                raise FormatError("final frame longer than frame length")
            content_offset = r.pos
            r.take(n + 16)
            m["frames"].append({"seq": seq, "offset": start, "content_offset": content_offset,
                                "content_length": n, "final": True})
            break
        if first != seq:
            raise FormatError("frame sequence number %d, want %d" % (first, seq))
        r.take(12)
        content_offset = r.pos
        r.take(m["frame_length"] + 16)
        m["frames"].append({"seq": seq, "offset": start, "content_offset": content_offset,
                            "content_length": m["frame_length"], "final": False})
        seq += 1
    m["footer_offset"] = r.pos
    if SUITE_SIGNED[m["suite_id"]]:
        m["signature"] = r.vec16()
    if r.pos != len(data):
        raise FormatError("%d bytes after the end of the message" % (len(data) - r.pos))
    return m


def raw_aes_provider_info(key_name):
    """The prefix every raw AES (GCM, 12-byte IV, 16-byte tag) provider info starts with."""
    return key_name.encode("utf-8") + struct.pack(">II", 128, 12)
