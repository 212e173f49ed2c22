-- Argo CD health check for fnf-operator.dev/Flow (Lua 5.1, as Argo CD runs it).
--
-- Reads only what fnf-operator writes: metadata.generation, status.observedGeneration
-- and the conditions Ready, Reconciling and Stalled. It never fails on a missing field.
--
--   Progressing  no status yet, a spec change not yet observed, or the flow being created/updated
--   Healthy      the cloud flow holds the declared definition (Ready=True)
--   Degraded     the cloud refused it, or the spec cannot be carried out (Stalled=True)

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
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for fnf-operator to pick up the Flow"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for fnf-operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Flow is up to date")
  return hs
end

hs.status = "Progressing"
hs.message = describe(condition(status, "Reconciling"), describe(ready, "Waiting for the flow"))
return hs
