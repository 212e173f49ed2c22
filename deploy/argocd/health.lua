-- Argo CD health check for fnf-operator.dev/FlowExecution (Lua 5.1, as Argo CD runs it).
--
-- Reads only what fnf-operator writes: metadata.generation, status.observedGeneration,
-- status.phase and the conditions Stalled, Succeeded, Completed, Reconciling and
-- CloudReachable. It never fails on a missing field: an object the operator has not
-- reached yet is Progressing.
--
--   Progressing  no status yet, a spec change not yet observed, or the execution still running
--   Healthy      the execution succeeded (Succeeded=True)
--   Degraded     it failed, timed out or was stopped, or the cloud refused the spec (Stalled=True)

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

-- "Reason: message", or whichever of the two is present.
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
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for fnf-operator to pick up the FlowExecution"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for fnf-operator to observe generation " .. tostring(generation)
  return hs
end

local phase = status.phase or "Pending"

local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Execution " .. phase)
  return hs
end

local succeeded = condition(status, "Succeeded")
if succeeded ~= nil and succeeded.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(succeeded, "Execution succeeded")
  return hs
end

local completed = condition(status, "Completed")
if succeeded ~= nil and succeeded.status == "False" and completed ~= nil and completed.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(succeeded, "Execution " .. phase)
  return hs
end

-- No conditions (an older operator, or a hand-written status): fall back to the phase.
if succeeded == nil then
  if phase == "Succeeded" then
    hs.status = "Healthy"
    hs.message = "Execution succeeded"
    return hs
  end
  if phase == "Failed" or phase == "TimedOut" or phase == "Stopped" then
    hs.status = "Degraded"
    hs.message = "Execution " .. phase
    if status.error ~= nil then
      hs.message = hs.message .. ": " .. tostring(status.error)
    end
    return hs
  end
end

hs.status = "Progressing"
hs.message = describe(condition(status, "Reconciling"), "Execution " .. phase)
local reachable = condition(status, "CloudReachable")
if reachable ~= nil and reachable.status == "False" then
  hs.message = hs.message .. " (cloud unreachable: " .. describe(reachable, "unknown") .. ")"
end
return hs
