"""The arguments several commands take, declared once."""

from __future__ import annotations

from evidencekb.commandline import Arg, arg, folder_path
from evidencekb.paths import DEFAULT_KB_DIR, DEFAULT_SITE_DIR

kb_option = arg(
    "--kb",
    dest="kb_dir",
    type=folder_path,
    default=DEFAULT_KB_DIR,
    metavar="DIR",
    help="The knowledge base folder (default: %(default)s).",
)
site_option = arg(
    "--site-dir",
    dest="site_dir",
    type=folder_path,
    default=DEFAULT_SITE_DIR,
    metavar="DIR",
    help="Where `ekb build` writes the site; the search index goes beside it "
    "(.NAME.ekb-index) (default: %(default)s).",
)
json_option = arg("--json", dest="as_json", action="store_true", help="Output JSON.")
topic_option = arg("--topic", metavar="SLUG", help="Only this topic.")


def flag(name: str, text: str) -> Arg:
    """An option that is given or not (`action="store_true"`)."""
    return arg(name, action="store_true", help=text)
