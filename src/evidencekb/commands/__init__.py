"""The commands of `ekb`, grouped by what they do: the knowledge base's own (`kb`),
the site's build and preview (`site`), the search (`search`) and the references'
records (`refs`). Each command is a thin function over the library, declared once
above it (`commandline.command`), that imports the stage it needs inside itself.

What the commands share: how they print (`output`) and the arguments several take
(`options`). The program around them (`cli`) lists them, runs the one named and
turns what they raise into one `Error:` line.
"""
