"""Which globals a Jinja template reads, found in its source (for site/pagekeys.py).

`TemplateReads` walks a template's syntax tree: the names it loads, and the attributes
it reads of a name (`lookups.reference`), through the templates it extends, includes
and imports and the macros it is handed by name (render.py's `bound_templates`), down
to the one macro of a library it calls. A name read other than for an attribute is
read whole. `ParsedOnce` parses each template once a build, so that finding its reads
costs no parse that compiling it would not make.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from functools import cache
from typing import Any

import jinja2
from jinja2 import nodes

from evidencekb.errors import KBError


class PageKeyError(KBError):
    """A template reads something no page key can account for."""


class ParsedOnce(jinja2.BaseLoader):
    """`loader`'s templates, each parsed once a build: its tree serves both to find what
    it reads (TemplateReads) and to compile it, so keying the pages costs no parse
    that rendering them would not make."""

    def __init__(self, loader: jinja2.BaseLoader) -> None:
        self.loader = loader
        self._trees: dict[str, tuple[nodes.Template, str | None, Callable[[], bool] | None]] = {}

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        return self.loader.get_source(environment, template)

    def tree(self, environment: jinja2.Environment, template: str) -> nodes.Template:
        return self._parsed(environment, template)[0]

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        tree, filename, uptodate = self._parsed(environment, name)
        code = environment.compile(tree, name, filename)
        return environment.template_class.from_code(environment, code, globals or {}, uptodate)

    def _parsed(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[nodes.Template, str | None, Callable[[], bool] | None]:
        found = self._trees.get(template)
        if found is None:
            source, filename, uptodate = self.get_source(environment, template)
            tree = environment.parse(source, template, filename)
            found = self._trees[template] = (tree, filename, uptodate)
        return found


class TemplateReads:
    """The globals (`name`, or `name.attribute` for an object global) each template of
    `env` reads, found in its source: through the templates it extends, includes and
    imports, and the templates `bound` names (a name render.py hands every page: a
    macro library's whole template, or one macro of it, as (template, macro))."""

    def __init__(self, env: jinja2.Environment, bound: Mapping[str, tuple[str, str | None]]):
        self.env = env
        self.bound = bound
        self._parse = cache(self._parsed)
        self._files = cache(self._file_reads)
        self._macros = cache(self._macro_reads)

    def of(self, template: str) -> frozenset[str]:
        reads = set(self._files(template))
        done: set[str] = set()
        while todo := {read for read in reads if read.partition(".")[0] in self.bound} - done:
            for read in todo:
                reads |= self._bound_reads(read)
            done |= todo
        return frozenset(read for read in reads if read.partition(".")[0] in self.env.globals)

    def _bound_reads(self, read: str) -> frozenset[str]:
        """What a bound name reads: a macro of a library (`macros.claim_item`) what that
        macro reads; a library read whole, what its template reads."""
        name, _, attribute = read.partition(".")
        source, macro = self.bound[name]
        if macro is None and attribute:
            macro = attribute
        if macro is None or macro not in self._macro_names(source):
            return self._files(source)
        return self._macros(source, macro)

    def _macro_names(self, template: str) -> frozenset[str]:
        return frozenset(macro.name for macro in self._parse(template).find_all(nodes.Macro))

    def _parsed(self, template: str) -> nodes.Template:
        if isinstance(self.env.loader, ParsedOnce):
            return self.env.loader.tree(self.env, template)
        source, _, _ = self.env.loader.get_source(self.env, template)  # type: ignore[union-attr]
        return self.env.parse(source, template)

    def _file_reads(self, template: str) -> frozenset[str]:
        tree = self._parse(template)
        reads = set(_names_read(tree))
        for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            named = node.template  # type: ignore[attr-defined]
            if not isinstance(named, nodes.Const):
                raise PageKeyError(f"template {template} names a template only rendering can tell")
            reads |= self._files(named.value)
        return frozenset(reads)

    def _macro_reads(self, template: str, name: str) -> frozenset[str]:
        """What the macro reads, and the macros of its template it calls."""
        macros = {macro.name: macro for macro in self._parse(template).find_all(nodes.Macro)}
        reads: set[str] = set()
        todo, seen = [name], set()
        while todo:
            macro = macros[todo.pop()]
            seen.add(macro.name)
            found = _names_read(macro)
            reads |= found
            todo += [other for other in found & macros.keys() if other not in seen]
        return frozenset(reads)


def _names_read(tree: nodes.Node) -> set[str]:
    """The names `tree` loads, and `name.attribute` for each attribute of a name it
    reads; a name read other than for an attribute is in too (read whole)."""
    reads: set[str] = set()
    for_attributes: set[int] = set()
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            reads.add(f"{node.node.name}.{node.attr}")
            for_attributes.add(id(node.node))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and id(name) not in for_attributes:
            reads.add(name.name)
    return reads
