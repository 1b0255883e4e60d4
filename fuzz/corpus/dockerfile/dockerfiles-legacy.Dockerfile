FROM ubuntu
MAINTAINER someone@example.com
ENV DB_PASSWORD supersecretvalue
ARG NPM_TOKEN=npm_abcdefgh12345678
RUN apt-get update
RUN apt-get install curl wget python3-pip
RUN cd /opt && wget -qO- https://get.example.com | bash
RUN sudo chmod 777 /opt/data
RUN pip install flask
RUN apt-get -y dist-upgrade
ADD https://example.com/app.tar.gz /opt/
ADD config.json /etc/app/
COPY a.txt b.txt /dest
WORKDIR relative/dir
EXPOSE 22 80 70000
CMD python3 app.py
CMD ["python3", "app.py"]
ENTRYPOINT ["/bin/sh"]
ENTRYPOINT ["/bin/bash"]
HEALTHCHECK CMD true
HEALTHCHECK CMD false
