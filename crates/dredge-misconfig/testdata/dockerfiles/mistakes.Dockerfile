FROM alpine:3.20 AS base
RUN apk add curl=8.5.0-r0
RUN wget -q https://example.com/a && curl -fsSLO https://example.com/b
COPY --from=base /a /b
FROM fedora:40 AS base
RUN yum install -y httpd-2.4
RUN dnf install -y httpd-2.4
RUN zypper install -y httpd=2.4
RUN microdnf install -y httpd-2.4
WORKDIR /proc/self/fd
USER 1000
