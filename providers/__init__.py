"""Provider plugins and the SDK to write them."""
