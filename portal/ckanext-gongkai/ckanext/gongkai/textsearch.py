"""Chinese-aware tokenizing and a Solr-syntax query parser, with no CKAN imports.

PostgreSQL has no Chinese word segmenter on these machines, so, like Lucene's
CJKAnalyzer, documents are indexed as overlapping CJK bigrams plus single
characters, and ASCII words lower-cased. A query is tokenized the same way
(bigrams only for runs of two or more CJK characters), so 低保 finds 城乡低保对象统计.

The parser understands the subset of Solr syntax CKAN and its clients send in
``q`` and ``fq``: ``field:value``, ``field:"quoted value"``, ``+``/``-``/NOT
prefixes, AND/OR, parentheses, ``field:(a OR b)``, ``field:[a TO b]``,
``field:*``, ``prefix*`` and ``*:*``. It returns a small tree that
``querysql`` turns into SQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

# CJK ideographs (unified + extension A + compatibility), kana and hangul.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN_RE = re.compile(f"[{_CJK}]+|[0-9A-Za-z\u00c0-\u024f]+")
_CJK_RUN_RE = re.compile(f"^[{_CJK}]+$")


def _cjk_bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def document_tokens(text: str) -> list[str]:
    """Tokens stored for a document: CJK bigrams and single characters, ASCII words."""
    tokens: list[str] = []
    for match in _TOKEN_RE.finditer(text or ""):
        run = match.group(0)
        if _CJK_RUN_RE.match(run):
            tokens.extend(run)
            tokens.extend(_cjk_bigrams(run))
        else:
            tokens.append(run.lower())
    return tokens


def query_tokens(text: str) -> list[str]:
    """Tokens a query must all match: bigrams for CJK runs, a single character alone."""
    tokens: list[str] = []
    for match in _TOKEN_RE.finditer(text or ""):
        run = match.group(0)
        if _CJK_RUN_RE.match(run):
            tokens.extend(_cjk_bigrams(run) if len(run) > 1 else [run])
        else:
            tokens.append(run.lower())
    return tokens


def tsquery_text(tokens: list[str]) -> str:
    """A tsquery literal ANDing quoted lexemes, safe for any token content."""
    quoted = ["'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens]
    return " & ".join(quoted)


# ------------------------------------------------------------------ parser --

class QuerySyntaxError(ValueError):
    """The query string is not in the supported Solr subset."""


@dataclass
class Term:
    """One condition: ``field`` None means free text over the whole document."""
    field: str | None
    value: str
    kind: str = "word"   # word | phrase | prefix | any | range | all
    upper: str | None = None  # for ranges: value is the lower bound


@dataclass
class Not:
    child: "Node"


@dataclass
class And:
    children: list["Node"] = field(default_factory=list)


@dataclass
class Or:
    children: list["Node"] = field(default_factory=list)


Node = Union[Term, Not, And, Or]

_LEXER = re.compile(r"""
    (?P<ws>\s+)
  | (?P<phrase>"(?:[^"\\]|\\.)*")
  | (?P<range>[\[{][^\]}]*[\]}])
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<word>(?:[^\s()"\\:\[\]{}]|\\.)+)
  | (?P<colon>:)
""", re.VERBOSE)


def _lex(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _LEXER.match(text, pos)
        if not match:
            raise QuerySyntaxError(f"cannot parse query near {text[pos:pos + 20]!r}")
        pos = match.end()
        if match.lastgroup != "ws":
            tokens.append((match.lastgroup, match.group(0)))
    return tokens


def _unescape(word: str) -> str:
    return re.sub(r"\\(.)", r"\1", word)


class _Parser:
    """Recursive descent: expr := and ('OR' and)*; and := unary+; unary := [+-NOT] primary."""

    def __init__(self, text: str):
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.expr()
        if self.peek() is not None:
            raise QuerySyntaxError(f"unexpected {self.peek()[1]!r} in query")
        return node

    def expr(self) -> Node:
        children = [self.and_expr()]
        while self.peek() == ("word", "OR") or self.peek() == ("word", "||"):
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(children)

    def and_expr(self) -> Node:
        children: list[Node] = []
        while True:
            token = self.peek()
            if token is None or token[0] == "rparen" or token[1] in ("OR", "||"):
                break
            if token[1] in ("AND", "&&"):
                self.take()
                continue
            children.append(self.unary())
        if not children:
            raise QuerySyntaxError("empty clause in query")
        return children[0] if len(children) == 1 else And(children)

    def unary(self) -> Node:
        kind, text = self.peek()
        if kind == "word" and text == "NOT":
            self.take()
            return Not(self.unary())
        if kind == "word" and text[0] in "+-!" and len(text) > 1:
            self.tokens[self.pos] = ("word", text[1:])
            return Not(self.primary()) if text[0] in "-!" else self.primary()
        if kind == "word" and text in ("+", "-"):
            self.take()
            return Not(self.primary()) if text == "-" else self.primary()
        return self.primary()

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "lparen":
            node = self.expr()
            self._expect("rparen")
            return node
        if kind == "word" and self.peek() is not None and self.peek()[0] == "colon":
            self.take()
            return self.field_value(_unescape(text))
        return self.value(None, kind, text)

    def field_value(self, field_name: str) -> Node:
        if self.peek() is None:
            raise QuerySyntaxError(f"missing value after {field_name}:")
        kind, text = self.take()
        if kind == "lparen":   # field:(a OR b) applies the field to each value
            node = self.value_group(field_name)
            self._expect("rparen")
            return node
        return self.value(field_name, kind, text)

    def value_group(self, field_name: str) -> Node:
        groups: list[list[Node]] = [[]]
        while self.peek() is not None and self.peek()[0] != "rparen":
            kind, text = self.take()
            if text in ("OR", "||"):
                groups.append([])
            elif text not in ("AND", "&&"):
                negate = kind == "word" and text[0] == "-" and len(text) > 1
                term = self.value(field_name, kind, text[1:] if negate else text)
                groups[-1].append(Not(term) if negate else term)
        alternatives = [g[0] if len(g) == 1 else And(g) for g in groups if g]
        if not alternatives:
            raise QuerySyntaxError(f"empty value list for {field_name}")
        return alternatives[0] if len(alternatives) == 1 else Or(alternatives)

    def value(self, field_name: str | None, kind: str, text: str) -> Term:
        if kind == "phrase":
            return Term(field_name, _unescape(text[1:-1]), "phrase")
        if kind == "range":
            bounds = re.split(r"\s+TO\s+", text[1:-1].strip())
            if len(bounds) != 2:
                raise QuerySyntaxError(f"bad range {text!r}: use [a TO b]")
            lower, upper = (_unescape(b.strip('"')) for b in bounds)
            return Term(field_name, lower, "range", upper)
        if kind != "word":
            raise QuerySyntaxError(f"unexpected {text!r} in query")
        if text == "*" and field_name in (None, "*"):
            return Term(None, "", "all")
        if text == "*":
            return Term(field_name, "", "any")
        if text.endswith("*") and not text.endswith("\\*"):
            return Term(field_name, _unescape(text[:-1]), "prefix")
        return Term(field_name, _unescape(text), "word")

    def _expect(self, kind: str) -> None:
        if self.peek() is None or self.peek()[0] != kind:
            raise QuerySyntaxError("unbalanced parentheses in query")
        self.take()


def parse_query(text: str) -> Node:
    """Parse a Solr-style q or fq string; an empty string matches everything."""
    text = (text or "").strip()
    if not text or text in ('""', "''"):
        return Term(None, "", "all")
    return _Parser(text).parse()
