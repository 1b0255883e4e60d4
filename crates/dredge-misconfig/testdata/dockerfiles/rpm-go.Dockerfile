FROM --platform=linux/amd64 registry.example.com/ubi9:9.4
RUN microdnf install -y httpd-2.4.57
RUN yum install httpd-2.4.57 && yum clean all
RUN dnf install httpd-2.4.57 && dnf clean all
RUN zypper install curl=8.0.1 && zypper clean -a
RUN zypper -n dist-upgrade && zypper clean -a
RUN go install golang.org/x/tools/cmd/goimports@latest
RUN yarn install
RUN useradd -u 123456 app
RUN service nginx start
ENV A=1 B=$A
COPY app.py app/
USER 1000
HEALTHCHECK CMD ["true"]
