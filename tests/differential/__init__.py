"""The same operations run with the tools users compare acloud with (aws-cli, rclone) and
with acloud, against the same moto server, on identically seeded buckets and folders: the
resulting keys, bytes, files and exit codes must agree, or differ exactly as
docs/cli.md ("Where acloud differs from aws-cli") says."""
