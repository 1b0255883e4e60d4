FROM node:20.15-alpine3.20
WORKDIR /app
ONBUILD COPY package*.json ./
ONBUILD RUN npm install express
ONBUILD COPY . .
USER node
HEALTHCHECK NONE
CMD ["node", "server.js"]
