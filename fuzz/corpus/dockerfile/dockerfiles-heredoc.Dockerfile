# syntax=docker/dockerfile:1
FROM debian:12.6-slim
RUN <<EOT
set -eux
apt-get update
apt-get install -y --no-install-recommends ca-certificates=20230311
rm -rf /var/lib/apt/lists/*
EOT
COPY <<-EOF /etc/app/app.conf
	listen = 0.0.0.0:8080
	# not a comment for Docker: file content
	RUN this is not an instruction
EOF
RUN <<'SCRIPT' bash
curl -fsSL https://example.com/install.sh | sh
SCRIPT
RUN useradd --system app
USER app
HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1
CMD ["/usr/local/bin/app"]
