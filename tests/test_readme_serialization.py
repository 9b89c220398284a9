"""The serialization example of the README runs as written."""

import re
from pathlib import Path


def test_readme_serialization_example():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Serialization.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)  # the example asserts its own round trips
    assert namespace["service"].to_object(namespace["data"]).name == "Ada"
