FROM alpine:3.20
ENV AWS_SECRET_ACCESS_KEY=planted-secret-value
USER app
HEALTHCHECK CMD ["true"]
