"""Everything a Python provider author needs: serve(MyProvider())."""
