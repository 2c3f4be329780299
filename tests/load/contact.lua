-- wrk script: POST a valid contact submission, each with its own body.
-- Used by `cargo xtask loadtest`.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"name":"Load Tester %d","email":"load%d@example.com","company":null,"budget":"not_sure","message":"Load test submission number %d, please ignore.","consent":true}',
    counter, counter, counter)
  return wrk.format("POST", "/api/v1/contact", { ["Content-Type"] = "application/json" }, body)
end
