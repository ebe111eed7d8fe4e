"""Offline extractive question answering over a folder of news articles.

    from qa import answer
    a = answer("How far did Ukrainian forces advance into Russia's Kursk region?")
    a.answer, a.citations[0], a.sources
"""

from qa.engine import Engine, answer
from qa.models import Answer, Citation, SourceAgreement

__all__ = ["Answer", "Citation", "Engine", "SourceAgreement", "answer"]
