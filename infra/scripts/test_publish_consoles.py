"""The consoles' upload list: every page, style and script they load, never the stack's config."""

import os
import re
import unittest

import publish_consoles as p


class Files(unittest.TestCase):
    def test_everything_the_pages_load_is_uploaded_and_config_never(self):
        keys = {k for k, _ in p.files()} if os.path.isfile(os.path.join(p.ROOT, "web/dist/hls.light.min.js")) else None
        if keys is None:
            self.skipTest("web/dist is not built (make web)")
        for page in ("console/index.html", "portal/index.html"):
            self.assertIn(page, keys)
            html = open(os.path.join(p.ROOT, "web", page)).read()
            folder = page.split("/")[0]
            for ref in re.findall(r'(?:src|href)="([^":#?]+\.(?:js|css))"', html):
                self.assertIn(f"{folder}/{ref}", keys, ref)
        self.assertIn("auth/session.js", keys)
        self.assertIn("dist/hls.light.min.js", keys)
        self.assertFalse(keys & p.STACK_OWNED)

    def test_types(self):
        self.assertEqual(p.content_type("a/index.html"), "text/html; charset=utf-8")
        self.assertEqual(p.content_type("a/x.js"), "text/javascript; charset=utf-8")


if __name__ == "__main__":
    unittest.main()
