"""Views of results: terminal text, JUnit XML, gradebook files."""
