"""agree: the answer's claim -> one marker per source (agrees / conflicts / silent).

Placeholder until the agreement issue lands: the answer's own document agrees, the rest are silent.
"""

from __future__ import annotations

import numpy as np

from qa.index import HybridIndex
from qa.models import Citation, SourceAgreement


def mark_sources(index: HybridIndex, question: str, query_vector: np.ndarray, top: Citation, selection) -> list[SourceAgreement]:
    value = top.text[top.answer_start - top.start : top.answer_end - top.start]
    marks = []
    for doc in index.corpus.documents:
        if doc.doc_id == top.doc_id:
            marks.append(SourceAgreement(doc_id=doc.doc_id, title=doc.title, marker="agrees", citation=top, value=value))
        else:
            marks.append(SourceAgreement(doc_id=doc.doc_id, title=doc.title, marker="silent"))
    return marks
