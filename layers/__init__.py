"""Layer ingestion: vector and raster files into PostGIS and Cloud-Optimised GeoTIFFs."""
