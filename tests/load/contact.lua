-- wrk script: POST a valid contact submission, each with its own body.
-- Used by `cargo xtask loadtest`.
-- Every wrk thread runs its own copy of this script: the thread's number goes
-- into the body too, or two threads would send the same bodies and the
-- server's double-submit window would answer the second without storing it.
local threads = 0
function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local counter = 0
request = function()
  counter = counter + 1
  local n = string.format("%d-%d", thread_id, counter)
  local body = string.format(
    '{"name":"Load Tester %s","email":"load%s@example.com","company":null,"budget":"not_sure","message":"Load test submission number %s, please ignore.","consent":true}',
    n, n, n)
  return wrk.format("POST", "/api/v1/contact", { ["Content-Type"] = "application/json" }, body)
end
