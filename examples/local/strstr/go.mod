module example.com/strstr

go 1.19
