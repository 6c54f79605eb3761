@echo off
rem The convlens command on Windows, run from a clone: builds the CLI in Release when needed, then runs it.
rem Usage: .\convlens.cmd train ^| evaluate ^| workbook ^| --help
dotnet run --project "%~dp0src\ConvLens.Cli" -c Release -v q -- %*
