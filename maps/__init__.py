"""Folium map builders: pure functions from data to ``folium.Map``."""
