"""The Trygg desktop client: a thin Qt layer over `trygg_client`."""
