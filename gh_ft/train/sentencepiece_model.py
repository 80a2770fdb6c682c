"""A SentencePiece `tokenizer.model` for a Llama-style BPE vocabulary, so llama.cpp tokenizes like transformers.

llama.cpp's converter takes token scores only from a SentencePiece model file; from a bare
`tokenizer.json` it gives every token the score -1000, and llama.cpp's SentencePiece tokenizer
(merge the adjacent pair whose joined text has the highest score, leftmost first) then merges
left to right instead of in merge order, cutting text differently from transformers.

With score = -(rank of the first merge that makes the token) the two algorithms agree, provided
transformers has a merge for *every* split of a token into two vocabulary pieces, since
SentencePiece joins any such pair (`complete_merges`). Two differences remain, both from
transformers' side and both absent from rendered prompts: special-token text inside a text
("<s>") is a special token to transformers and plain text to llama.cpp, and a text that already
starts with a space gets no extra "▁" from transformers' Metaspace (SentencePiece always adds one).

The file is a protobuf `ModelProto` with the few fields llama.cpp's converter and SentencePiece
read (pieces, trainer_spec, normalizer_spec), written by hand: building the tiny model needs
neither protobuf nor sentencepiece.
"""
from __future__ import annotations

import re
import struct
from typing import Iterable

# sentencepiece_model.proto: ModelProto.SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, BYTE = 1, 2, 3, 6
_BPE = 2  # TrainerSpec.ModelType
_BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")


def complete_merges(vocab: dict[str, int], merges: Iterable[tuple[str, str]],
                    skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    """`merges` plus every other split (a, b) of a merged token with a and b in the vocabulary,
    each placed right after the token's first merge, so joined tokens keep their rank order."""
    merges = [tuple(m) for m in merges]
    skipped = set(skip)
    pieces = {p for p in vocab if p not in skipped and not _BYTE_PIECE.fullmatch(p)}
    first_rank: dict[str, int] = {}
    for rank, (a, b) in enumerate(merges):
        first_rank.setdefault(a + b, rank)
    known = set(merges)
    ordered = [(rank, -1, m) for rank, m in enumerate(merges)]
    for token, rank in first_rank.items():
        for cut in range(1, len(token)):
            pair = (token[:cut], token[cut:])
            if pair not in known and pair[0] in pieces and pair[1] in pieces:
                ordered.append((rank, cut, pair))
    ordered.sort(key=lambda item: (item[0], item[1]))
    return [m for _, _, m in ordered]


def piece_table(vocab: dict[str, int], merges: Iterable[tuple[str, str]], *, unk: str, controls: Iterable[str]
                ) -> list[tuple[str, float, int]]:
    """(piece, score, type) in id order: merged tokens score -(first merge rank), single
    characters score below every merge (they are never joined into), specials and bytes 0."""
    ids = sorted(vocab.values())
    if ids != list(range(len(ids))):
        raise ValueError("the vocabulary ids must be 0..n-1 without gaps")
    merges = list(merges)
    first_rank: dict[str, int] = {}
    for rank, (a, b) in enumerate(merges):
        first_rank.setdefault(a + b, rank)
    control = set(controls)
    table = []
    for piece, i in sorted(vocab.items(), key=lambda kv: kv[1]):
        if piece == unk:
            table.append((piece, 0.0, UNKNOWN))
        elif piece in control:
            table.append((piece, 0.0, CONTROL))
        elif _BYTE_PIECE.fullmatch(piece):
            table.append((piece, 0.0, BYTE))
        elif piece in first_rank:
            table.append((piece, -float(first_rank[piece]), NORMAL))
        else:
            table.append((piece, -float(len(merges) + i), NORMAL))
    return table


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # protobuf int32/int64: negatives as 10-byte two's complement
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _len_field(number: int, data: bytes) -> bytes:
    return _field(number, 2) + _varint(len(data)) + data


def _int_field(number: int, value: int) -> bytes:
    return _field(number, 0) + _varint(int(value))


def _float_field(number: int, value: float) -> bytes:
    return _field(number, 5) + struct.pack("<f", value)


def model_proto(table: list[tuple[str, float, int]], *, unk_id: int, bos_id: int, eos_id: int,
                byte_fallback: bool = True, add_dummy_prefix: bool = True) -> bytes:
    """Serialized ModelProto of a BPE model with Llama-2's settings: identity normalization,
    a "▁" dummy prefix (unless `add_dummy_prefix` is False, as for Gemma), whitespace kept and
    escaped as "▁", byte fallback."""
    out = bytearray()
    for piece, score, kind in table:
        out += _len_field(1, _len_field(1, piece.encode("utf-8")) + _float_field(2, score) + _int_field(3, kind))
    trainer = (_int_field(3, _BPE) + _int_field(4, len(table)) + _int_field(26, 1)  # allow_whitespace_only_pieces
               + _int_field(35, int(byte_fallback)) + _int_field(40, unk_id) + _int_field(41, bos_id)
               + _int_field(42, eos_id) + _int_field(43, -1))  # no pad piece
    normalizer = (_len_field(1, b"identity") + _int_field(3, int(add_dummy_prefix))
                  + _int_field(4, 0) + _int_field(5, 1))         # remove_extra_whitespaces, escape_whitespaces
    out += _len_field(2, trainer) + _len_field(3, normalizer)
    return bytes(out)
