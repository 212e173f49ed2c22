-- Argo CD health check for fnf-operator.dev/CronFlowExecution (Lua 5.1, as Argo CD runs it).
--
-- A schedule is healthy while it can schedule: its runs are FlowExecutions with a
-- health of their own. Reads metadata.generation, spec.suspend,
-- status.observedGeneration and the conditions Stalled and Ready; never fails on a
-- missing field.
--
--   Progressing  no status yet, or a spec change not yet observed
--   Suspended    spec.suspend is true (no new runs)
--   Healthy      Ready=True: the schedule is read and runs are created on time
--   Degraded     Stalled=True: the schedule or its time zone cannot be read

local hs = {}

local function condition(status, type_name)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type_name then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local reason = c.reason or ""
  local message = c.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  end
  if message ~= "" then
    return message
  end
  if reason ~= "" then
    return reason
  end
  return fallback
end

local status = obj.status
local generation = obj.metadata and obj.metadata.generation
if status == nil or status.observedGeneration == nil or (generation ~= nil and status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for fnf-operator to observe the schedule"
  return hs
end

local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "The schedule cannot be read")
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: no new runs"
  return hs
end

local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Scheduled")
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready, "Waiting for fnf-operator to schedule")
return hs
