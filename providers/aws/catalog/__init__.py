"""The bundled EC2 price catalog (ec2-prices.csv, see README.md): package data."""
