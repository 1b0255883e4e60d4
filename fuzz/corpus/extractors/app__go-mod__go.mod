module example.com/server

go 1.21

require (
	github.com/gin-gonic/gin v1.7.0
	golang.org/x/text v0.3.5 // indirect
)

require github.com/pkg/errors v0.9.1

replace github.com/pkg/errors => github.com/pkg/errors v0.8.1
