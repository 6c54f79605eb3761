#!/bin/sh
# Verbatim prose pins: Assert.Contains("literal", <notebook or doc prose>) in the tests; prints their count.
# Run from the repository root, or pass it: sh bench/prose_pins.sh [repo]
cd "${1:-.}" && grep -hE 'Assert\.(Contains|DoesNotContain)\(\$?"' tests/ConvLens.Tests/*.cs | grep -cE 'Prose\(|Notebook\(|Doc\(|Solution\(|Guide\(|, notebook\)|, solution\)|, teaching\)|, guide\)|, training\)|, prose\)|, cell\)|, text\)|Source\('
